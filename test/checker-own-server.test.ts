import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CASE_IDS, type CheckReport } from "../src/checker/index.ts";
import type { RunningServer } from "../src/server/start.ts";
import { check, createCheckedServer, listenOverHttp } from "./helpers/checker.ts";
import { runCli, type ServerProcess, startServerProcess } from "./helpers/process.ts";

/** What must be the same whichever way the checker reaches the server. */
const outcome = (report: CheckReport) => ({
  status: report.status,
  cases: report.cases.map((c) => [c.id, c.outcome, c.findings.length, c.exchanges.map((e) => `${e.method} ${e.path} ${e.status}`)]),
  coverage: report.coverage.map((c) => `${c.operationId} ${c.status} ${c.state}`),
});

describe("zulip-auth check against our own server", () => {
  let inProcess: CheckReport;
  let server: RunningServer;

  beforeAll(async () => {
    // Our own server is held to every promise of the contract, Zulip's and its own.
    inProcess = await check((await createCheckedServer()).app.fetch, { strict: true });
    const overHttp = await createCheckedServer();
    server = await listenOverHttp(overHttp.app.fetch, overHttp.store);
  });
  afterAll(async () => {
    await server?.close();
  });

  it("in-process, strict: every case passes and no answer breaks the contract", () => {
    expect(inProcess.cases.map((c) => [c.id, c.outcome, c.findings])).toEqual(CASE_IDS.map((id) => [id, "passed", []]));
    expect(inProcess.status).toBe("conformant");
    expect(inProcess.summary.findings.total).toBe(0);
    expect(inProcess.summary.cases).toEqual({ total: CASE_IDS.length, passed: CASE_IDS.length, failed: 0, notChecked: 0 });
  });

  it("observes every status its cases provoke on a production server, and says why the others are not observed", () => {
    const states = Object.fromEntries(inProcess.coverage.map((c) => [`${c.operationId} ${c.status}`, c.state]));
    for (const cell of [
      "fetch-api-key 200",
      "fetch-api-key 400",
      "fetch-api-key 401",
      "fetch-api-key 405",
      "fetch-api-key 429",
      "dev-fetch-api-key 400",
      "dev-fetch-api-key 405",
      "get-server-settings 200",
      "get-server-settings 405",
    ]) {
      expect(states[cell], cell).toBe("observed");
    }
    expect(inProcess.coverage.filter((c) => c.state === "undeclared")).toEqual([]);
    for (const gap of inProcess.coverage.filter((c) => c.state === "not-observed"))
      expect(gap.reason, `${gap.operationId} ${gap.status}`).toMatch(/^not observed because .{10,}/);
    expect(inProcess.coverage.find((c) => c.operationId === "dev-fetch-api-key" && c.status === 200)?.reason).toContain("answered 400");
  });

  it("gives the same results over real HTTP (global fetch) as in-process (app.fetch)", async () => {
    const overHttp = await check(fetch, { baseUrl: server.url, strict: true });
    expect(outcome(overHttp)).toEqual(outcome(inProcess));
    expect(overHttp.target.baseUrl).toBe(server.url);
  });

  it("on a development server, accepts dev_fetch_api_key's keys as advertised and checks them", async () => {
    const report = await check((await createCheckedServer({ config: { devMode: true } })).app.fetch, {
      only: ["dev-fetch-api-key.production-refuses"],
      strict: true,
    });
    const dev = report.cases.find((c) => c.id === "dev-fetch-api-key.production-refuses")!;
    expect(dev.outcome).toBe("passed");
    expect(dev.notes.join()).toMatch(/development server/);
    expect(dev.exchanges.map((e) => `${e.path} ${e.status}`)).toEqual([
      "/api/v1/dev_fetch_api_key 200",
      "/api/v1/fetch_api_key 200",
      "/api/v1/dev_fetch_api_key 401",
    ]);
    expect(report.status).toBe("conformant");
  });
});

describe("npx zulip-auth check against the demo, as a new user runs it", () => {
  let demo: ServerProcess;
  beforeAll(async () => {
    demo = await startServerProcess(["demo", "--port", "0"]);
  });
  afterAll(async () => {
    await demo?.stop();
  });

  it("exits 0 with a readable report: one line per case, coverage and a summary", async () => {
    const r = await runCli(["check", demo.url, "--username", "iago@zulip.com", "--password-env", "PW"], { env: { PW: "abcd1234" } });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const lines = r.stdout.split("\n");
    expect(lines[0]).toBe(`zulip-auth check ${demo.url} as iago@zulip.com`);
    for (const id of CASE_IDS)
      expect(
        lines.filter((l) => new RegExp(`^PASS  ${id.replace(/\./g, "\\.")} `).test(l)),
        id,
      ).toHaveLength(1);
    expect(r.stdout).toMatch(/note: development server/);
    expect(r.stdout).toMatch(/^  fetch-api-key +POST 200 ✓  400 ✓  401 ✓  404 ·  405 ✓  413 ·  429 ✓  500 ·  503 ·$/m);
    expect(r.stdout).toMatch(/^  dev-fetch-api-key +POST 200 ✓  400 ·  401 ✓  404 ·  405 ✓  413 ·  500 ·  503 ·$/m);
    expect(r.stdout).toContain("dev-fetch-api-key 400: not observed because dev-fetch-api-key.production-refuses was answered 200, 401");
    expect(r.stdout).toContain(`cases     ${CASE_IDS.length} passed, 0 failed, 0 not checked (of ${CASE_IDS.length})`);
    // A development server says so in its version, as Zulip's do.
    expect(r.stdout).toContain("judged as Zulip 10.0-dev+zulip-auth (feature level 371)");
    expect(r.stdout).toContain("  account   1 failed login (of at most 1), 2 successful logins (of at most 2) spent on iago@zulip.com");
    expect(r.stdout).toMatch(/^ {2}advisory {2}none$/m);
    expect(r.stdout).toMatch(/^ {2}zulip-flutter \(mobile app\) +yes /m);
    expect(r.stdout.trimEnd().split("\n").at(-1)).toBe("CONFORMANT: no violation found (exit 0)");
    expect(r.stdout).not.toContain("abcd1234");
  });

  it("reads the password from standard input too", async () => {
    const r = await runCli(
      ["check", demo.url, "--username", "iago@zulip.com", "--password-stdin", "--only", "fetch-api-key.success,property.identity-stable"],
      {
        stdin: "abcd1234\n",
      },
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^PASS  fetch-api-key\.success /m);
    expect(r.stdout).toMatch(/^SKIP  fetch-api-key\.wrong-password +.*\n +not checked because it was not named in --only$/m);
  });

  it("exits 3 at once when the password is wrong, in a few lines naming the password", async () => {
    const r = await runCli(["check", demo.url, "--username", "iago@zulip.com", "--password-env", "PW"], { env: { PW: "not-the-demo-password" } });
    expect(r.code).toBe(3);
    expect(r.stderr).toBe("");
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines.length).toBeLessThanOrEqual(15);
    expect(lines.at(-1)).toBe(
      'PASSWORD REFUSED: the password for iago@zulip.com was refused; check it (and the username) and run again. Nothing else was checked, to spare the account\'s attempts (server answered 401 AUTHENTICATION_FAILED: "Your username or password is incorrect") (exit 3)',
    );
    expect(r.stdout + r.stderr).not.toContain("not-the-demo-password");
  });
});
