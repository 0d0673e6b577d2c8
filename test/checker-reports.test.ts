import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { type AddressInfo, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CASE_IDS, CheckOptionsError, type CheckReport, checkServer, type FetchLike, formatJunit } from "../src/checker/index.ts";
import { reproCurl } from "../src/checker/repro-curl.ts";
import { answerFromResponse, getContractValidator } from "../src/contract/validator.ts";
import type { RunningServer } from "../src/server/start.ts";
import { apiPath, check, createCheckedServer, expectDocumentedShape, listenOverHttp, rewriteJson, wrap } from "./helpers/checker.ts";
import { USERS } from "./helpers/harness.ts";
import { runCli } from "./helpers/process.ts";
import { parseRawHttp } from "./helpers/raw-http.ts";

const sh = promisify(execFile);

/** A loopback URL on a port nothing listens on (just freed). */
async function closedPortUrl(): Promise<string> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return `http://127.0.0.1:${port}`;
}
const PASSWORD = USERS.iago.password;

/** Our server over real HTTP, optionally broken by a wrapper. */
async function serve(change?: Parameters<typeof wrap>[1]): Promise<RunningServer> {
  const server = await createCheckedServer();
  const fetch: FetchLike = change ? wrap(server.app.fetch, change) : server.app.fetch;
  return listenOverHttp(fetch, server.store);
}

/** A server whose key answers carry a field the contract does not have, echoing the password. */
const leaky: Parameters<typeof wrap>[1] = async (r, forward) => {
  const res = await forward();
  return res.status === 200 && apiPath(r) === "/fetch_api_key"
    ? rewriteJson(res, (b) => ({ ...b, debug: `password was ${PASSWORD}, key ${String(b.api_key)}` }))
    : res;
};

describe("the JSON report", () => {
  it("has the documented shape, for a conformant server and for a broken one", async () => {
    const good = await check((await createCheckedServer()).app.fetch);
    expectDocumentedShape(good);
    const bad = await check(wrap((await createCheckedServer()).app.fetch, leaky));
    expectDocumentedShape(bad);
    // The field the contract does not list is an advisory at the Zulip level; the echo is the property's finding.
    expect(bad.summary.findings.byId).toEqual({ "credential-echoed": 2 });
    expect(bad.advisories.map((a) => a.id)).toContain("unlisted-field");
    expect(
      bad.cases
        .flatMap((c) => c.findings)
        .filter((f) => f.id === "credential-echoed")
        .map((f) => [f.caseId, f.kind, f.status]),
    ).toEqual([
      ["property.nothing-echoed", "security", 200],
      ["property.nothing-echoed", "security", 200],
    ]);
    expect(bad.summary.findings.total).toBe(bad.cases.flatMap((c) => c.findings).length);
  });

  it("points into the response and into the contract (file and line), with expected, actual and a repro command", async () => {
    const report = await check(
      wrap((await createCheckedServer()).app.fetch, async (r, forward) => {
        const res = await forward();
        return res.status === 200 && apiPath(r) === "/fetch_api_key"
          ? rewriteJson(res, (b) => ({ ...b, user_id: String(b.user_id) }), { headers: { "cache-control": null } })
          : res;
      }),
      { only: ["fetch-api-key.success"], strict: true },
    );
    const findings = report.cases.find((c) => c.id === "fetch-api-key.success")!.findings;
    const contract = readFileSync("openapi/zulip-auth.yaml", "utf8").split("\n");
    const type = findings.find((f) => f.id === "body-schema")!;
    expect(type).toMatchObject({
      kind: "contract",
      operationId: "fetch-api-key",
      method: "POST",
      path: "/api/v1/fetch_api_key",
      status: 200,
      responsePointer: "/user_id",
      specFile: "openapi/zulip-auth.yaml",
      actual: expect.stringMatching(/^"\d+"$/),
    });
    expect(type.specPointer).toBe("#/components/schemas/ApiKeySuccess/properties/user_id/type");
    expect(contract[type.specLine! - 1]).toMatch(/type: integer/);
    const header = findings.find((f) => f.id === "header-missing")!;
    expect(header.responsePointer).toBe("header:Cache-Control");
    // The line of the header's declaration (its key, or the first line under it).
    expect(contract.slice(header.specLine! - 2, header.specLine!).join("\n")).toMatch(/^ +Cache-Control:$/m);
    expect(type.repro).toBe(
      `curl -sS -i -X POST ${report.target.baseUrl}/api/v1/fetch_api_key --data-urlencode username=iago@zulip.com --data-urlencode 'password=<password>'`,
    );
  });

  it("never holds the password or an API key, even when the server echoes them", async () => {
    const server = await createCheckedServer();
    const report = await check(wrap(server.app.fetch, leaky), { strict: true });
    const text = JSON.stringify(report);
    const key = (await server.store.findUser((await server.store.findOrganization(""))!.id, USERS.iago.email))!.api_key;
    expect(text).not.toContain(PASSWORD);
    expect(text).not.toContain(key);
    const debug = report.cases.flatMap((c) => c.findings).find((f) => f.responsePointer === "/debug")!;
    expect(debug.actual).toBe('"password was <password>, key <api-key>"');
  });

  it("hides a password the server echoes in any encoding, in the report and in the progress a terminal shows", async () => {
    const server = await createCheckedServer();
    const password = "p@ss w&rd+ü/100%x";
    await server.admin.setPassword("", USERS.hamlet.email, password);
    // Echoes the raw request (percent- and form-encoded) and the password as JSON text would hold it.
    const echo: Parameters<typeof wrap>[1] = async (r, forward) => {
      const raw = await r.clone().text();
      const res = await forward();
      return res.status === 200 && apiPath(r) === "/fetch_api_key"
        ? rewriteJson(res, (b) => ({ ...b, debug: `${raw} ${new URL(r.url).search} ${JSON.stringify({ password })}` }))
        : res;
    };
    const events: unknown[] = [];
    const report = await check(wrap(server.app.fetch, echo), { username: USERS.hamlet.email, password, onProgress: (e) => events.push(e) });
    const text = JSON.stringify([report, events]);
    expect(text).toContain("/debug");
    for (const form of [
      password,
      encodeURIComponent(password),
      new URLSearchParams({ p: password }).toString().slice(2),
      JSON.stringify(password).slice(1, -1),
    ]) {
      expect(text.includes(form), form).toBe(false);
    }
    // Only throwaway passwords travel in a query string (to show that GET never logs in), never the account's.
    for (const [, query] of text.matchAll(/fetch_api_key\?([^'" ]*)/g)) {
      const password = new URLSearchParams(query).get("password");
      if (password !== null) expect(password).toMatch(/^zulip-auth-check-not-the-password-[0-9a-f]+$/);
    }
  });

  it("lists an undeclared status in the coverage table as a violation", async () => {
    const report = await check(
      wrap((await createCheckedServer()).app.fetch, async (r, forward) =>
        r.method === "GET" && apiPath(r) === "/fetch_api_key" ? new Response("", { status: 302, headers: { location: "/login" } }) : forward(),
      ),
    );
    expect(report.coverage.filter((c) => c.state === "undeclared")).toEqual([
      {
        operationId: "fetch-api-key",
        method: "POST",
        path: "/api/v1/fetch_api_key",
        status: 302,
        declared: false,
        state: "undeclared",
        seenBy: ["fetch-api-key.get-not-allowed"],
      },
    ]);
    // Both GETs (bare, and with a throwaway's credentials in the query string) were answered 302.
    expect(report.cases.find((c) => c.id === "fetch-api-key.get-not-allowed")!.findings.map((f) => f.id)).toEqual([
      "status-undeclared",
      "unexpected-status",
      "status-undeclared",
      "unexpected-status",
    ]);
  });
});

describe("the JUnit report", () => {
  it("is well-formed XML with one testcase per case, failures carrying the findings and skips their reason", async () => {
    const report = await check(
      wrap((await createCheckedServer()).app.fetch, async (_r, forward) => {
        const res = await forward();
        // Characters XML cannot carry, in an answer the report quotes.
        return res.status === 405 ? rewriteJson(res, (b) => ({ ...b, msg: "bad \u0001 & <stuff> ]]>" }), { headers: { allow: null } }) : res;
      }),
      { skip: ["fetch-api-key.rate-limit"] },
    );
    const xml = formatJunit(report);
    expect(XMLValidator.validate(xml)).toBe(true);
    const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: "", isArray: (name) => ["testcase", "property"].includes(name) }).parse(xml);
    const suite = doc.testsuites.testsuite;
    expect(suite.testcase.map((t: { name: string }) => t.name)).toEqual(CASE_IDS);
    expect(suite).toMatchObject({ tests: String(CASE_IDS.length), failures: "3", skipped: "1", errors: "0" });
    const byName = Object.fromEntries(suite.testcase.map((t: { name: string }) => [t.name, t]));
    expect(byName["fetch-api-key.get-not-allowed"].failure).toMatchObject({
      type: "header-missing",
      message: expect.stringContaining("header-missing: required header Allow is missing"),
    });
    expect(byName["fetch-api-key.get-not-allowed"].failure["#text"]).toContain("repro:    curl -sS -i");
    expect(byName["fetch-api-key.rate-limit"].skipped).toEqual({ message: "not checked because it was left out with --skip" });
    expect(byName["fetch-api-key.success"].failure).toBeUndefined();
    expect(byName["fetch-api-key.success"].skipped).toBeUndefined();
    expect(suite.properties.property).toContainEqual({ name: "status", value: "violations" });
  });
});

describe("repro commands", () => {
  let server: RunningServer;
  let report: CheckReport;
  beforeAll(async () => {
    server = await serve();
    report = await check(fetch, { baseUrl: server.url, skip: ["fetch-api-key.rate-limit"] });
  });
  afterAll(async () => {
    await server?.close();
  });

  it("send the same request: run with the password put in, each gets the answer the checker saw", async () => {
    const validator = await getContractValidator();
    const quoted = `'${PASSWORD.replace(/'/g, `'\\''`)}'`;
    const exchanges = report.cases.flatMap((c) => c.exchanges.map((e) => ({ ...e, caseId: c.id })));
    expect(exchanges.length).toBeGreaterThan(15);
    for (const e of exchanges) {
      const command = e.repro.replace(/'([^']*)<password>([^']*)'/g, (_m, a: string, b: string) => `'${a}'${quoted}'${b}'`);
      const { stdout } = await sh("sh", ["-c", command]);
      const answer = parseRawHttp(stdout);
      expect(answer.status, `${e.caseId}: ${e.repro}`).toBe(e.status);
      // A HEAD answer has no body: the checker judges only its status.
      if (e.method !== "HEAD") expect(validator.validateResponse(e.operationId as "fetch-api-key", answer)).toEqual([]);
    }
  });

  it("write secrets as placeholders and quote for the shell; multipart values are never read as files", () => {
    const spec = { operationId: "fetch-api-key" as const, method: "POST", path: "/fetch_api_key" };
    const password = { placeholder: "<password>", value: "s3cret" };
    expect(
      reproCurl("https://chat.example.com", {
        ...spec,
        body: {
          kind: "multipart",
          fields: [
            ["username", "o'brien@example.com"],
            ["password", password],
          ],
        },
      }),
    ).toBe(
      `curl -sS -i -X POST https://chat.example.com/api/v1/fetch_api_key --form-string 'username=o'\\''brien@example.com' --form-string 'password=<password>'`,
    );
    expect(
      reproCurl("https://chat.example.com", {
        ...spec,
        query: [
          ["username", "a b@example.com"],
          ["password", password],
        ],
      }),
    ).toBe(`curl -sS -i -X POST 'https://chat.example.com/api/v1/fetch_api_key?username=a%20b%40example.com&password=<password>'`);
    expect(
      reproCurl("https://chat.example.com", {
        ...spec,
        body: {
          kind: "json",
          fields: [
            ["username", "a@example.com"],
            ["password", password],
          ],
        },
      }),
    ).toBe(
      `curl -sS -i -X POST https://chat.example.com/api/v1/fetch_api_key -H 'Content-Type: application/json' --data-raw '{"username":"a@example.com","password":"<password>"}'`,
    );
    expect(
      reproCurl("https://chat.example.com", {
        operationId: "get-server-settings",
        method: "GET",
        path: "/server_settings",
        headers: { Authorization: "Basic eDp5" },
      }),
    ).toBe(`curl -sS -i https://chat.example.com/api/v1/server_settings -H 'Authorization: Basic eDp5'`);
  });
});

describe("the library", () => {
  it("refuses options that make no sense, naming the problem", async () => {
    const base = { baseUrl: "http://zulip.test", username: "iago@zulip.com", password: "x" };
    const cases: [Partial<Parameters<typeof checkServer>[0]>, RegExp][] = [
      [{ baseUrl: "zulip.test" }, /not a URL/],
      [{ baseUrl: "ftp://zulip.test" }, /http or https/],
      [{ baseUrl: "http://zulip.test/api/v1" }, /without \/api\/v1/],
      [{ only: ["fetch-api-key.nope"] }, /no case fetch-api-key\.nope; the cases are: server-settings\.conforms, /],
      [{ only: ["fetch-api-key.success"], skip: ["fetch-api-key.success"] }, /leave no case/],
      [{ timeoutMs: 0 }, /timeout/],
      [{ password: "" }, /password is empty/],
    ];
    for (const [options, message] of cases) await expect(checkServer({ ...base, ...options })).rejects.toThrow(message);
    await expect(checkServer({ ...base, baseUrl: "nope" })).rejects.toBeInstanceOf(CheckOptionsError);
  });

  it("reports an unreachable server as such, checking nothing", async () => {
    const url = await closedPortUrl();
    const report = await checkServer({ baseUrl: url, username: "iago@zulip.com", password: PASSWORD });
    expect(report.status).toBe("unreachable");
    expect(report.unreachable).toMatch(new RegExp(`^${url}: fetch failed: .*ECONNREFUSED`));
    expect(report.cases.every((c) => c.outcome === "not-checked" && c.reason === "not checked because the server could not be reached")).toBe(true);
    expectDocumentedShape(report);
  });

  it("reports progress: each case starts and ends, and each request is announced", async () => {
    const events: string[] = [];
    await check((await createCheckedServer()).app.fetch, {
      only: ["property.identity-stable"],
      onProgress: (e) =>
        events.push(
          e.type === "request"
            ? `request ${e.method} ${e.path} ${e.label}`
            : e.type === "start"
              ? "start"
              : `${e.type} ${"caseId" in e ? e.caseId : e.result.id}`,
        ),
    });
    // server_settings first (is it Zulip, which version), then the login: the first use of the password.
    expect(events.filter((e) => !e.startsWith("case-end") || e.includes("identity-stable"))).toEqual([
      "request GET /api/v1/server_settings server settings",
      "start",
      "request POST /api/v1/fetch_api_key login with the given credentials",
      "case-start property.identity-stable",
      "request POST /api/v1/fetch_api_key second login: the username in another case, with unused parameters",
      "case-end property.identity-stable",
    ]);
    expect(events.filter((e) => e.startsWith("case-end"))).toHaveLength(CASE_IDS.length);
  });

  it("gives up on an answer that does not come in time, and goes on with the other cases", async () => {
    const server = await createCheckedServer();
    const hanging: FetchLike = (r) => (apiPath(r) === "/dev_fetch_api_key" ? new Promise(() => {}) : server.app.fetch(r));
    const started = Date.now();
    // The timeout covers every request of the run, not only the hanging ones: room for a loaded machine.
    const report = await check(hanging, { timeoutMs: 2_000 });
    expect(Date.now() - started).toBeLessThan(30_000);
    const failed = report.cases.filter((c) => c.outcome === "failed").map((c) => [c.id, c.findings.map((f) => [f.id, f.status, f.message])]);
    expect(failed).toEqual([
      ["dev-fetch-api-key.production-refuses", [["request-failed", null, "no answer: no answer within 2000 ms"]]],
      ["dev-fetch-api-key.get-not-allowed", [["request-failed", null, "no answer: no answer within 2000 ms"]]],
    ]);
    expect(report.summary.cases.passed).toBe(CASE_IDS.length - 2);
  });
});

describe("zulip-auth check, the command", () => {
  let broken: RunningServer;
  let good: RunningServer;
  const dir = mkdtempSync(join(tmpdir(), "zulip-auth-check-"));
  beforeAll(async () => {
    good = await serve();
    // Unknown users get their own message: accounts can be enumerated.
    broken = await serve(async (r, forward) => {
      const username = r.method === "POST" && apiPath(r) === "/fetch_api_key" ? new URLSearchParams(await r.clone().text()).get("username") : null;
      const res = await forward();
      return res.status === 401 && username !== null && username !== USERS.iago.email ? rewriteJson(res, (b) => ({ ...b, msg: "No such user" })) : res;
    });
  });
  afterAll(async () => {
    await broken?.close();
    await good?.close();
  });
  const args = (url: string, ...more: string[]) => ["check", url, "--username", USERS.iago.email, "--password-env", "PW", ...more];
  const env = { PW: PASSWORD };

  it("exits 1 against a broken server, naming the violation with a repro command", async () => {
    const r = await runCli(args(broken.url), { env });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("");
    expect(r.stdout).toMatch(
      /^FAIL  fetch-api-key\.unknown-user +.*\n +✗ account-enumeration \(security\): an unknown user is answered differently from a wrong password \(msg differs\)/m,
    );
    expect(r.stdout).toMatch(
      /^ +repro: +curl -sS -i -X POST http:\/\/127\.0\.0\.1:\d+\/api\/v1\/fetch_api_key --data-urlencode username=zulip-auth-check-[0-9a-f]{12}@zulip\.com --data-urlencode password=zulip-auth-check-not-the-password-[0-9a-f]{8}$/m,
    );
    expect(r.stdout).toMatch(/^ +contract: openapi\/zulip-auth\.yaml:\d+ #\/paths\/~1fetch_api_key\/post\/responses\/401\/description$/m);
    expect(r.stdout.trimEnd().split("\n").at(-1)).toBe("NOT CONFORMANT: 1 finding in 1 case (exit 1)");
    expect(r.stdout).not.toContain(PASSWORD);
  });

  it("prints one JSON document with --json (progress on stderr) and writes JUnit with --junit", async () => {
    const junit = join(dir, "report.xml");
    const r = await runCli(args(good.url, "--json", "--junit", junit), { env });
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as CheckReport;
    expectDocumentedShape(report);
    expect(report.status).toBe("conformant");
    expect(r.stderr.trim().split("\n")).toEqual(CASE_IDS.map((id, i) => `[${i + 1}/${CASE_IDS.length}] passed      ${id}`));
    const xml = readFileSync(junit, "utf8");
    expect(XMLValidator.validate(xml)).toBe(true);
    expect(xml.match(/<testcase /g)).toHaveLength(CASE_IDS.length);
    expect(r.stdout + r.stderr + xml).not.toContain(PASSWORD);
  });

  it("runs only the cases named by --only, leaves out those named by --skip", async () => {
    const r = await runCli(args(good.url, "--json", "--only", "fetch-api-key.success,fetch-api-key.wrong-password", "--skip", "fetch-api-key.wrong-password"), {
      env,
    });
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as CheckReport;
    expect(report.cases.filter((c) => c.outcome !== "not-checked").map((c) => c.id)).toEqual(["fetch-api-key.success"]);
    expect(report.cases.find((c) => c.id === "fetch-api-key.wrong-password")!.reason).toBe("not checked because it was left out with --skip");
  });

  it("exits 6 when the server cannot be reached, saying why once", async () => {
    const url = await closedPortUrl();
    const r = await runCli(args(url), { env });
    expect(r.code).toBe(6);
    expect(r.stderr).toBe("");
    expect(r.stdout.startsWith(`UNREACHABLE: cannot reach the server: ${url}: fetch failed: `)).toBe(true);
    expect(r.stdout.endsWith(". Nothing was checked (exit 6)\n")).toBe(true);
    expect(r.stdout.split("\n")).toHaveLength(2);
    expect(r.stdout.match(/ECONNREFUSED/g)).toHaveLength(1);
  });

  it("prints only the findings and the verdict line with --quiet", async () => {
    const conformant = await runCli(args(good.url, "--quiet"), { env });
    expect(conformant.code).toBe(0);
    expect(conformant.stdout).toBe("CONFORMANT: no violation found (exit 0)\n");
    const noAllow = await serve(async (r, forward) => {
      const res = await forward();
      return r.method === "GET" && apiPath(r) === "/fetch_api_key" ? rewriteJson(res, (b) => b, { headers: { allow: null } }) : res;
    });
    try {
      const r = await runCli(args(noAllow.url, "--quiet"), { env });
      expect(r.code).toBe(1);
      const lines = r.stdout.trimEnd().split("\n");
      expect(lines[0]).toBe("fetch-api-key.get-not-allowed");
      expect(lines[1]).toMatch(/^ {2}✗ header-missing: required header Allow is missing$/);
      expect(lines.filter((l) => /^\S/.test(l))).toEqual([
        "fetch-api-key.get-not-allowed",
        "fetch-api-key.get-not-allowed",
        "NOT CONFORMANT: 2 findings in 1 case (exit 1)",
      ]);
    } finally {
      await noAllow.close();
    }
  });

  it("exits 2 on bad usage, with one line saying what is wrong", async () => {
    const usage: [string[], Record<string, string>, RegExp][] = [
      [["check", good.url, "--username", "iago@zulip.com"], {}, /give the account's password with --password-stdin or --password-env VAR/],
      [args(good.url), {}, /the environment variable PW is not set or empty/],
      [[...args(good.url), "--password-stdin"], env, /one way/],
      [args("not a url"), env, /not a URL: not a url/],
      [args(good.url, "--only", "nope"), env, /no case nope; the cases are: /],
      [args(good.url, "--timeout", "-5"), env, /expected a whole number of milliseconds above 0/],
      [args(good.url, "--failed-logins", "5"), env, /at most 4: Zulip allows 5 failed logins per 30 minutes/],
      [["check", good.url, "--password-env", "PW"], env, /required option '--username <username>' not specified/],
      [args(good.url, "--junit", join(dir, "no-such-dir", "r.xml"), "--only", "fetch-api-key.success"), env, /cannot write the JUnit file/],
    ];
    const results = await Promise.all(usage.map(([argv, e]) => runCli(argv, { env: { PW: "", ...e } })));
    for (const [i, [argv, , message]] of usage.entries()) {
      expect(results[i]!.code, argv.join(" ")).toBe(2);
      expect(results[i]!.stderr, argv.join(" ")).toMatch(message);
    }
  });

  it("lists the cases and the exit codes in --help", async () => {
    const r = await runCli(["check", "--help"]);
    expect(r.code).toBe(0);
    for (const id of CASE_IDS) expect(r.stdout).toContain(id);
    expect(r.stdout.replace(/\s+/g, " ")).toContain(
      "Exit codes: 0 conformant, 1 at least one violation, 2 bad usage, 3 the password was refused, 4 rate-limited for now (the account or this address), 5 not a Zulip server, 6 the server could not be reached, 7 the URL names no organization (pass an organization's URL).",
    );
    expect(r.stdout.replace(/\s+/g, " ")).toContain('a real Zulip may email the user a "new login" notice for each');
    expect(r.stdout).toContain("--strict");
  });
});

// The validator is the only judge of an answer: a sanity check that the in-process answers the tests above
// rely on are conformant when nothing breaks them.
it("our server's own answers to the checker's requests conform (the control for the broken servers)", async () => {
  const validator = await getContractValidator();
  const server = await createCheckedServer();
  const answer = await answerFromResponse(await server.app.fetch(new Request("http://zulip.test/api/v1/fetch_api_key", { method: "GET" })));
  expect(validator.validateResponse("fetch-api-key", answer)).toEqual([]);
});
