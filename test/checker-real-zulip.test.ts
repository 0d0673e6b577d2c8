import type { AddressInfo } from "node:net";
import { createAdaptorServer } from "@hono/node-server";
import { XMLParser } from "fast-xml-parser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CASE_IDS, type CheckReport, checkServer, type FetchLike, formatHuman, formatJunit } from "../src/checker/index.ts";
import { apiPath, caught, expectDocumentedShape, IN_PROCESS_URL, rewriteJson, wrap } from "./helpers/checker.ts";
import { FAKE_ACCOUNT, type FakeAccount, fakeZulip } from "./helpers/fake-zulip.ts";
import { runCli } from "./helpers/process.ts";

const check = (fetch: FetchLike, options: Partial<Parameters<typeof checkServer>[0]> = {}) =>
  checkServer({ baseUrl: IN_PROCESS_URL, username: FAKE_ACCOUNT.email, password: FAKE_ACCOUNT.password, fetch, ...options });
const zulip10 = (accounts: FakeAccount[] = [FAKE_ACCOUNT], now?: () => number) => fakeZulip({ version: "10.0", accounts, ...(now ? { now } : {}) });
const zulip84 = () => fakeZulip({ version: "8.4", accounts: [FAKE_ACCOUNT] });

/** Counts what a run spends of the account: successful logins, and failed attempts of the username as given. */
function spending(inner: FetchLike) {
  const spent = { successes: 0, failures: 0 };
  const fetch = wrap(inner, async (request, forward) => {
    const body = request.method === "POST" && apiPath(request) === "/fetch_api_key" ? await request.clone().text() : "";
    const username = new URLSearchParams(body).get("username") ?? new URL(request.url).searchParams.get("username");
    const response = await forward();
    if (response.status === 200 && apiPath(request) === "/fetch_api_key") spent.successes++;
    if (response.status === 401 && username === FAKE_ACCOUNT.email) spent.failures++;
    return response;
  });
  return { fetch, spent };
}

describe("zulip-auth check against faithful copies of real Zulip servers", () => {
  let z10: CheckReport;
  let z84: CheckReport;
  let spent: { successes: number; failures: number };
  beforeAll(async () => {
    const counted = spending(zulip10());
    z10 = await check(counted.fetch);
    spent = counted.spent;
    z84 = await check(zulip84());
  });

  it("a production Zulip 10: exit 0, zero violations, every case passes or says why not", () => {
    expect(caught(z10)).toEqual([]);
    expect(z10.status).toBe("conformant");
    expect(z10.cases.filter((c) => c.outcome === "failed")).toEqual([]);
    expect(z10.cases.filter((c) => c.outcome === "not-checked")).toEqual([]);
    expect(z10.judgedAgainst).toEqual({ level: "zulip", zulipVersion: "10.0", featureLevel: 371 });
    expect(z10.cases.find((c) => c.id === "dev-fetch-api-key.production-refuses")!.notes.join()).toMatch(/no dev_fetch_api_key route/);
  });

  it("reports Zulip's weaker-than-best-practice answers as advisories with a severity, not as violations", () => {
    expect(Object.fromEntries(z10.advisories.map((a) => [a.id, a.severity]))).toEqual({
      "key-cacheable": "medium",
      "html-405": "low",
      "retry-after-float": "low",
    });
    const html405 = z10.advisories.find((a) => a.id === "html-405")!;
    expect(html405.caseIds).toEqual(expect.arrayContaining(["fetch-api-key.get-not-allowed", "server-settings.post-not-allowed"]));
    expect(html405.evidence.repro).toMatch(/^curl /);
    const text = formatHuman(z10);
    expect(text).toMatch(/^Advisories: Zulip behaviour weaker than best practice \(no effect on the exit code\)$/m);
    expect(text).toMatch(/^ {2}MEDIUM key-cacheable: /m);
    expect(text.trimEnd().split("\n").at(-1)).toBe("CONFORMANT: no violation found (exit 0)");
  });

  it("puts the advisories, the version and the client table in the JSON report (documented schema) and in JUnit", () => {
    expectDocumentedShape(z10);
    expectDocumentedShape(z84);
    const doc = new XMLParser({
      ignoreAttributes: false,
      attributeNamePrefix: "",
      isArray: (name) => ["testsuite", "testcase", "property"].includes(name),
    }).parse(formatJunit(z10));
    const [main, advisories] = doc.testsuites.testsuite;
    expect(main.properties.property).toEqual(
      expect.arrayContaining([
        { name: "featureLevel", value: "371" },
        { name: "client.zulip-flutter", value: "yes" },
      ]),
    );
    expect(advisories).toMatchObject({ name: "zulip-auth check advisories", tests: "3", failures: "0" });
    expect(advisories.testcase.map((t: { name: string; classname: string }) => `${t.name} ${t.classname}`)).toEqual([
      "key-cacheable zulip-auth.advisory.medium",
      "html-405 zulip-auth.advisory.low",
      "retry-after-float zulip-auth.advisory.low",
    ]);
  });

  it("spends at most two successful logins and one failed attempt of the real account", () => {
    expect(spent).toEqual({ successes: 2, failures: 1 });
    // The summary says what the server saw spent.
    expect(z10.summary.account).toEqual({ failedLogins: spent.failures, failedBudget: 1, successfulLogins: spent.successes, successfulBudget: 2 });
  });

  it("with --failed-logins 4, sends four near-misses of the password, each refused and reported, and still logs in twice", async () => {
    const counted = spending(zulip10());
    const report = await check(counted.fetch, { failedLogins: 4 });
    expect(report.status).toBe("conformant");
    expect(counted.spent).toEqual({ successes: 2, failures: 4 });
    const wrong = report.cases.find((c) => c.id === "fetch-api-key.wrong-password")!;
    expect(wrong.exchanges.map((e) => e.status)).toEqual([401, 401, 401, 401]);
    expect(wrong.exchanges.map((e) => e.label)).toEqual([
      "a near-miss of the password: <password>x (failed login 1 of 4 on this account)",
      "a near-miss of the password: <password, case swapped> (failed login 2 of 4 on this account)",
      "a near-miss of the password: <password, last character cut> (failed login 3 of 4 on this account)",
      "a near-miss of the password: <password> (a space appended) (failed login 4 of 4 on this account)",
    ]);
    expect(JSON.stringify(report)).not.toContain(FAKE_ACCOUNT.password.slice(0, -1));
  });

  it("says which real clients can log in", () => {
    expect(Object.fromEntries(z10.clients.map((c) => [c.client.split(" ")[0], c.verdict]))).toEqual({
      "zulip-flutter": "yes",
      "zulip-mobile": "yes",
      "zulip-terminal": "yes",
      "python-zulip-api": "yes",
      "zulip-js": "yes",
    });
    expect(formatHuman(z10)).toMatch(/^Clients: can a real Zulip client log in to this server\?\n {2}zulip-flutter \(mobile app\) +yes /m);
  });

  it("a Zulip 8.4 (no realm_url): exit 0, zero violations, judged by what feature level 237 promises", () => {
    expect(caught(z84)).toEqual([]);
    expect(z84.status).toBe("conformant");
    expect(z84.judgedAgainst).toEqual({ level: "zulip", zulipVersion: "8.4", featureLevel: 237 });
    expect(formatHuman(z84)).toContain("judged as Zulip 8.4 (feature level 237)");
    const flutter = z84.clients.find((c) => c.client.startsWith("zulip-flutter"))!;
    expect(flutter.verdict).toBe("no");
    expect(flutter.problems.join()).toMatch(/feature level 237 is below 277/);
    expect(z84.clients.find((c) => c.client.startsWith("zulip-mobile"))!.verdict).toBe("yes");
  });

  it("--strict holds a real Zulip to zulip-auth's own promises: the advisories become violations", async () => {
    const strict = await check(zulip10(), { strict: true });
    expect(strict.status).toBe("violations");
    expect(strict.advisories).toEqual([]);
    expect(caught(strict)).toEqual(
      expect.arrayContaining([
        "fetch-api-key.success header-missing",
        "fetch-api-key.get-not-allowed content-type-undeclared",
        "server-settings.post-not-allowed content-type-undeclared",
        "dev-fetch-api-key.production-refuses content-type-undeclared",
        "fetch-api-key.rate-limit header-invalid",
      ]),
    );
  });
});

describe("on a real account", () => {
  const clock = Date.now();
  const now = () => clock;
  const server = zulip10([FAKE_ACCOUNT], now);
  let http: ReturnType<typeof createAdaptorServer>;
  let url: string;
  beforeAll(async () => {
    http = createAdaptorServer({ fetch: (r: Request) => server(r) });
    await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => http.close(() => resolve())));
  const args = ["check", "--username", FAKE_ACCOUNT.email, "--password-env", "PW"];

  it("three runs with a mistyped password stop at once naming the password (exit 3), then the right one passes", async () => {
    for (let run = 1; run <= 3; run++) {
      const r = await runCli([...args.slice(0, 1), url, ...args.slice(1)], { env: { PW: "correct-horse-battery-9" } });
      expect(r.code, r.stdout + r.stderr).toBe(3);
      const lines = r.stdout.trimEnd().split("\n");
      expect(lines.length).toBeLessThanOrEqual(15);
      expect(lines.at(-1)).toMatch(
        /^PASSWORD REFUSED: the password for iago@zulip\.com was refused; check it \(and the username\) and run again\. Nothing else was checked/,
      );
      expect(r.stdout).not.toMatch(/account-enumeration|security/);
    }
    const r = await runCli([...args.slice(0, 1), url, ...args.slice(1), "--json"], { env: { PW: FAKE_ACCOUNT.password } });
    expect(r.code, r.stdout).toBe(0);
    expect((JSON.parse(r.stdout) as CheckReport).status).toBe("conformant");
  });

  it("a limited account stops the run at once, saying when to retry (exit 4)", async () => {
    const limited = { ...FAKE_ACCOUNT, email: "limited@zulip.com" };
    const lockable = zulip10([limited], now);
    for (let i = 0; i < 5; i++)
      await lockable(
        new Request(`${IN_PROCESS_URL}/api/v1/fetch_api_key`, {
          method: "POST",
          headers: { "content-type": "application/x-www-form-urlencoded" },
          body: `username=${limited.email}&password=wrong`,
        }),
      );
    const report = await check(lockable, { username: limited.email, password: limited.password });
    expect(report.status).toBe("rate-limited");
    expect(report.stopped!.message).toMatch(
      /^the server is refusing logins for limited@zulip\.com for now: too many attempts .* Retry after \d\d:\d\d UTC \(in 30 min\)\./,
    );
    expect(report.stopped!.retryAfterSeconds).toBe(1800);
    expectDocumentedShape(report);
    // The login, then one throwaway login that tells the account's limit from this address's.
    expect(report.summary.requests).toBe(3);
    expect(report.cases.every((c) => c.outcome === "not-checked")).toBe(true);
    expect(formatHuman(report).trimEnd().split("\n").at(-1)).toMatch(/^RATE LIMITED: .*\(exit 4\)$/);
  });
});

describe("masking never garbles", () => {
  for (const password of ["password", "a", "incorrect", "Your", "success", "error"]) {
    it(`with the password ${JSON.stringify(password)}, ids, titles and the server's words stay intact`, async () => {
      const account = { ...FAKE_ACCOUNT, password };
      // A case-sensitive lookup: the server's own words appear in a finding.
      const server = wrap(zulip10([account]), async (r, forward) => {
        const body = r.method === "POST" && apiPath(r) === "/fetch_api_key" ? new URLSearchParams(await r.clone().text()) : undefined;
        const res = await forward();
        return body?.get("username") === "IAGO@ZULIP.COM"
          ? new Response('{"result":"error","msg":"Your username or password is incorrect","code":"AUTHENTICATION_FAILED"}\n', {
              status: 401,
              headers: { "content-type": "application/json" },
            })
          : res;
      });
      const report = await check(server, { password });
      expect(report.cases.map((c) => c.id)).toEqual(CASE_IDS);
      expect(caught(report)).toEqual(["fetch-api-key.case-insensitive unexpected-status"]);
      const finding = report.cases.flatMap((c) => c.findings)[0]!;
      expect(finding.actual).toBe('401 {"result":"error","msg":"Your username or password is incorrect","code":"AUTHENTICATION_FAILED"}');
      expect(JSON.stringify(report)).not.toContain('<password>"');
      expect(JSON.stringify(report.cases.map((c) => [c.id, c.title]))).not.toContain("<password>");
    });
  }

  it("a server that echoes the password back is a security finding, and the echo is masked", async () => {
    const password = "s3cret-Echo-pass";
    const echo = wrap(zulip10([{ ...FAKE_ACCOUNT, password }]), async (r, forward) => {
      const sent = r.method === "POST" ? new URLSearchParams(await r.clone().text()).get("password") : null;
      const res = await forward();
      return res.status === 200 && sent ? rewriteJson(res, (b) => ({ ...b, msg: `welcome back, your password is ${sent}` })) : res;
    });
    const report = await check(echo, { password });
    expect(caught(report)).toEqual(expect.arrayContaining(["property.nothing-echoed credential-echoed"]));
    expect(report.cases.flatMap((c) => c.findings).find((f) => f.id === "credential-echoed")!.kind).toBe("security");
    expect(JSON.stringify(report)).not.toContain(password);
  });
});

describe("not a Zulip server", () => {
  it("stops with one line and exit 5 (an HTML directory listing, as python3 -m http.server answers)", async () => {
    const page = () =>
      new Response("<!DOCTYPE HTML>\n<html><head><title>Error response</title></head><body><h1>Error response</h1><p>Error code: 404</p></body></html>\n", {
        status: 404,
        headers: { "content-type": "text/html;charset=utf-8" },
      });
    const report = await check(async () => page());
    expect(report.status).toBe("not-zulip");
    expect(report.summary.requests).toBe(1);
    expectDocumentedShape(report);
    expect(formatHuman(report)).toBe(
      `NOT A ZULIP SERVER: ${IN_PROCESS_URL} is not a Zulip server: GET /api/v1/server_settings answered 404 (text/html;charset=utf-8), where a Zulip server answers 200 with its settings (exit 5)\n`,
    );
  });

  it("JSON without zulip_version is not a Zulip answer either; the command exits 5 with one line", async () => {
    const http = createAdaptorServer({ fetch: () => Response.json({ ok: true }) });
    await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
    try {
      const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
      const r = await runCli(["check", url, "--username", "iago@zulip.com", "--password-env", "PW"], { env: { PW: "x-password-1" } });
      expect(r.code).toBe(5);
      expect(r.stdout).toBe(`NOT A ZULIP SERVER: ${url} is not a Zulip server: GET /api/v1/server_settings answered JSON without a zulip_version (exit 5)\n`);
      expect(r.stderr).toBe("");
    } finally {
      await new Promise<void>((resolve) => http.close(() => resolve()));
    }
  });
});
