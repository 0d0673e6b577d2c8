// Healthy Zulip deployments the checker has to tell the truth about: situations that are not faults. Each test
// server is written from Zulip's source (test/helpers/fake-zulip.ts) and fails the test if the checker raises
// a violation, or stops without saying why.

import type { AddressInfo } from "node:net";
import { createAdaptorServer } from "@hono/node-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CheckReport, checkServer, type FetchLike, formatHuman } from "../src/checker/index.ts";
import { apiPath, caught, createCheckedServer, expectDocumentedShape, IN_PROCESS_URL, rewriteJson, wrap } from "./helpers/checker.ts";
import { FAKE_ACCOUNT, type FakeZulipOptions, fakeZulip } from "./helpers/fake-zulip.ts";
import { USERS } from "./helpers/harness.ts";
import { runCli } from "./helpers/process.ts";

const zulip = (options: Partial<FakeZulipOptions> = {}) => fakeZulip({ version: "10.0", accounts: [FAKE_ACCOUNT], ...options });
const check = (fetch: FetchLike, options: Partial<Parameters<typeof checkServer>[0]> = {}) =>
  checkServer({ baseUrl: IN_PROCESS_URL, username: FAKE_ACCOUNT.email, password: FAKE_ACCOUNT.password, fetch, ...options });

/** A fetch that counts the logins it passes on. */
function countingLogins(inner: FetchLike) {
  const seen = { logins: 0 };
  const fetch = wrap(inner, (r, forward) => {
    if (apiPath(r) === "/fetch_api_key") seen.logins++;
    return forward();
  });
  return { fetch, seen };
}

/** A fake Zulip over real HTTP, for the command. */
function overHttp(fetch: FetchLike) {
  const state = { url: "" };
  let http: ReturnType<typeof createAdaptorServer>;
  beforeAll(async () => {
    http = createAdaptorServer({ fetch: (r: Request) => fetch(r) });
    await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
    state.url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => http.close(() => resolve())));
  return state;
}

const command = (url: string, ...more: string[]) =>
  runCli(["check", url, "--username", FAKE_ACCOUNT.email, "--password-env", "PW", ...more], { env: { PW: FAKE_ACCOUNT.password } });

describe("a URL that names no organization stops before any login, telling the user to pass an organization's URL", () => {
  it("the root of a server with several organizations and none at its root", async () => {
    const { fetch, seen } = countingLogins(zulip({ root: "several-organizations" }));
    const report = await check(fetch);
    expect(report.status).toBe("no-organisation");
    expect(seen.logins).toBe(0);
    expect(report.stopped!.message).toMatch(
      /^http:\/\/zulip\.test is the root of a Zulip server with several organizations and none at its root .*pass the URL of one of its organizations instead/,
    );
    expect(report.cases.every((c) => c.outcome === "not-checked" && c.findings.length === 0)).toBe(true);
    // No client verdict on what was never observed.
    expect(report.clients).toEqual([]);
    expect(formatHuman(report)).toBe(`NO ORGANISATION HERE: ${report.stopped!.message} (exit 7)\n`);
  });

  it("a root with ROOT_DOMAIN_LANDING_PAGE: server_settings answers Zulip's JSON 400 Subdomain required", async () => {
    const { fetch, seen } = countingLogins(zulip({ root: "landing-page" }));
    const report = await check(fetch);
    expect(report.status).toBe("no-organisation");
    expect(seen.logins).toBe(0);
    expect(report.stopped).toMatchObject({ answered: "400" });
    expect(report.stopped!.message).toMatch(
      /is a Zulip server, but the URL names no organization to log in to \(server_settings answered 400 "Subdomain required"\)/,
    );
  });

  it("this project's own server, asked at a subdomain with no organization: Zulip's JSON 400 Invalid subdomain", async () => {
    const server = await createCheckedServer();
    // In process, the Host a client would send comes from the URL.
    const withHost = wrap(server.app.fetch, (r, forward) => {
      const headers = new Headers(r.headers);
      headers.set("host", new URL(r.url).host);
      return forward(new Request(r, { headers }));
    });
    const report = await check(withHost, { baseUrl: "http://nowhere.zulip.test", username: USERS.iago.email, password: USERS.iago.password });
    expect(report.status).toBe("no-organisation");
    expect(report.stopped!.message).toContain('server_settings answered 400 "Invalid subdomain"');
  });

  describe("the command", () => {
    const several = overHttp(zulip({ root: "several-organizations" }));
    const landing = overHttp(zulip({ root: "landing-page" }));
    it("exits 7 with one sentence, on stdout only", async () => {
      for (const url of [several.url, landing.url]) {
        const r = await command(url);
        expect(r.code, r.stdout).toBe(7);
        expect(r.stderr).toBe("");
        expect(r.stdout).toMatch(
          /^NO ORGANISATION HERE: .*pass the URL of one of its organizations instead \(e\.g\. https:\/\/<organization>\.<host>\)\. \(exit 7\)\n$/,
        );
      }
    });
  });
});

describe("a server that limits this client's address is not broken", () => {
  it("cases that need more attempts are not checked, saying after how many; no violation", async () => {
    const report = await check(zulip({ addressLimit: 6 }));
    expectDocumentedShape(report);
    expect(caught(report)).toEqual([]);
    expect(report.status).toBe("conformant");
    const limited = report.cases.filter((c) => c.outcome === "not-checked");
    expect(limited.map((c) => c.id)).toContain("fetch-api-key.rate-limit");
    for (const c of limited) expect(c.reason).toMatch(/^not checked because the server limits this address after 6 attempts/);
  });

  it("the next run stops at its login, saying the limit is the address's and not the account's", async () => {
    const server = zulip({ addressLimit: 6 });
    await check(server);
    const report = await check(server);
    expect(report.status).toBe("rate-limited");
    expect(report.stopped!.message).toMatch(
      /^the server is refusing logins from this address for now: a throwaway username no account has was refused too, so the limit is this address's, not iago@zulip\.com's\./,
    );
    expect(caught(report)).toEqual([]);
  });
});

describe("what a newer Zulip adds is not a fault", () => {
  it("fields the contract does not list, in server_settings and in a success: an advisory at the Zulip level", async () => {
    const report = await check(zulip({ extraField: true }));
    expect(report.status).toBe("conformant");
    const advisory = report.advisories.find((a) => a.id === "unlisted-field")!;
    expect(advisory.severity).toBe("low");
    expect(advisory.caseIds).toEqual(expect.arrayContaining(["server-settings.conforms", "fetch-api-key.success"]));
  });

  it("the same fields are violations with --strict", async () => {
    const report = await check(zulip({ extraField: true }), { strict: true });
    expect(caught(report)).toEqual(
      expect.arrayContaining(["server-settings.conforms body-unexpected-property", "fetch-api-key.success body-unexpected-property"]),
    );
  });

  it("realm_url naming another URL than the one checked (a proxy): an advisory", async () => {
    const proxied = wrap(zulip(), async (r, forward) => {
      const res = await forward();
      return apiPath(r) === "/server_settings" && res.status === 200
        ? rewriteJson(res, (b) => ({ ...b, realm_url: "https://chat.example.com", realm_uri: "https://chat.example.com" }))
        : res;
    });
    const report = await check(proxied);
    expect(report.status).toBe("conformant");
    expect(report.advisories.find((a) => a.id === "realm-url-elsewhere")!.evidence).toMatchObject({
      responsePointer: "/realm_url",
      expected: "http://zulip.test",
      actual: "https://chat.example.com",
    });
  });
});

describe("the client table says only what it observed", () => {
  it("a contract finding on server_settings is not 'answers differently with an Authorization header'", async () => {
    const odd = wrap(zulip(), async (r, forward) => {
      const res = await forward();
      return apiPath(r) === "/server_settings" && res.status === 200 ? rewriteJson(res, (b) => ({ ...b, realm_web_public_access_enabled: "no" })) : res;
    });
    const report: CheckReport = await check(odd);
    expect(caught(report)).toContain("server-settings.with-authorization body-schema");
    const python = report.clients.find((c) => c.client === "python-zulip-api")!;
    expect(python.verdict).toBe("yes");
    expect(python.evidence).toContain("GET /api/v1/server_settings (with Authorization: Basic (a made-up key)) → 200");
  });

  it("each verdict names the requests and answers it rests on", async () => {
    const report = await check(zulip());
    for (const c of report.clients) {
      expect(c.evidence[0]).toBe("GET /api/v1/server_settings (server settings) → 200");
      expect(c.evidence.at(-1)).toBe("POST /api/v1/fetch_api_key (login with the given credentials) → 200");
    }
    expect(report.clients.find((c) => c.client === "zulip-js")!.evidence).toContain("POST /api/v1/fetch_api_key (multipart, a throwaway address) → 401");
  });
});
