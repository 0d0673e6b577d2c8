import { chmodSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import ini from "ini";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { ErrorCode } from "../src/contract/types.ts";
import { conformant, createTestServer, form } from "./helpers/harness.ts";
import { type HttpServer, serveOverHttp, staticHandler } from "./helpers/http.ts";
import { runCli, type ServerProcess, startServerProcess } from "./helpers/process.ts";
import { FETCH_API_KEY_ERRORS, healthy } from "./helpers/scenarios.ts";

const DEMO = { email: "iago@zulip.com", password: "abcd1234" };
const dir = mkdtempSync(join(tmpdir(), "zulip-auth-login-"));
let n = 0;
const freshPath = () => join(dir, `zuliprc-${++n}`);
const login = (site: string, args: string[], stdin?: string, env: Record<string, string> = {}) =>
  runCli(["login", site, ...args], { ...(stdin === undefined ? {} : { stdin }), env });

/** The zuliprc as an INI parser reads it. */
const readZuliprc = (path: string) => ini.parse(readFileSync(path, "utf8")) as { api?: Record<string, string> };
const mode = (path: string) => statSync(path).mode & 0o777;

describe("zulip-auth login against the demo, as real processes", () => {
  let demo: ServerProcess;
  let key: string;

  beforeAll(async () => {
    demo = await startServerProcess(["demo", "--port", "0"]);
    const r = await conformant<{ api_key: string }>(
      "fetch-api-key",
      await fetch(`${demo.url}/api/v1/fetch_api_key`, form({ username: DEMO.email, password: DEMO.password })),
    );
    key = r.body.api_key;
  });
  afterAll(async () => {
    await demo.stop();
  });

  it("writes [api] email, key and site, mode 0600, and says where, never printing the key or password", async () => {
    const path = freshPath();
    const r = await login(`${demo.url}/`, ["--username", DEMO.email, "--password-stdin", "--zuliprc", path], `${DEMO.password}\n`);
    expect(r.stderr).toContain("Logging in to Zulip Dev");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(path);
    expect(readZuliprc(path)).toEqual({ api: { email: DEMO.email, key, site: demo.url } });
    expect(mode(path)).toBe(0o600);
    expect(r.stdout + r.stderr).not.toContain(key);
    expect(r.stdout + r.stderr).not.toContain(DEMO.password);
  });

  it("writes ~/.zuliprc by default", async () => {
    const home = mkdtempSync(join(dir, "home-"));
    const r = await login(demo.url, ["--username", DEMO.email, "--password-stdin"], DEMO.password, { HOME: home });
    expect(r.code).toBe(0);
    expect(readZuliprc(join(home, ".zuliprc")).api?.key).toBe(key);
    expect(mode(join(home, ".zuliprc"))).toBe(0o600);
  });

  it("refuses to overwrite without --force (the file is kept); --force replaces it with mode 0600", async () => {
    const path = freshPath();
    writeFileSync(path, "[api]\nemail=old@example.com\n");
    chmodSync(path, 0o644);
    const refused = await login(demo.url, ["--username", DEMO.email, "--password-stdin", "--zuliprc", path], DEMO.password);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/exists already: pass --force/);
    expect(readFileSync(path, "utf8")).toBe("[api]\nemail=old@example.com\n");

    const forced = await login(demo.url, ["--username", DEMO.email, "--password-stdin", "--zuliprc", path, "--force"], DEMO.password);
    expect(forced.code).toBe(0);
    expect(readZuliprc(path).api).toEqual({ email: DEMO.email, key, site: demo.url });
    expect(mode(path)).toBe(0o600);
  });

  it("exits 1 with a human message on a wrong password, writing nothing", async () => {
    const path = freshPath();
    const r = await login(demo.url, ["--username", DEMO.email, "--password-stdin", "--zuliprc", path], "wrong-password");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("zulip-auth: wrong username or password for Zulip Dev");
    expect(r.stderr).not.toContain("wrong-password");
    expect(() => statSync(path)).toThrow();
  });

  it.each([
    ["no --username", ["--password-stdin"], "x"],
    ["a site that is not an http(s) URL", ["--username", DEMO.email, "--password-stdin"], "x", "ftp://example.com"],
    ["an empty password", ["--username", DEMO.email, "--password-stdin"], "\n"],
    ["no terminal and no --password-stdin", ["--username", DEMO.email], ""],
    ["an unknown option", ["--username", DEMO.email, "--pasword-stdin"], "x"],
  ])("bad usage exits 2: %s", async (_name, args, stdin, site?: string) => {
    const r = await login(site ?? demo.url, [...args, "--zuliprc", freshPath()], stdin);
    expect(r.code).toBe(2);
  });
});

describe("zulip-auth login stops clearly on sites it cannot log in to", () => {
  const servers: HttpServer[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });
  const run = async (http: HttpServer, username = "iago@zulip.com") => {
    servers.push(http);
    const path = freshPath();
    const r = await login(http.url, ["--username", username, "--password-stdin", "--zuliprc", path], "some-password");
    expect(r.code).toBe(1);
    expect(() => statSync(path), "no zuliprc written").toThrow();
    expect(r.stderr.trim().split("\n").at(-1)).toMatch(/^zulip-auth: /);
    return r.stderr;
  };

  it("a site that is not a Zulip server", async () => {
    const http = await serveOverHttp(staticHandler(200, "text/html", "<!doctype html><h1>Welcome to nginx!</h1>"));
    expect(await run(http)).toMatch(/http:\/\/127\.0\.0\.1:\d+ is not a Zulip server/);
    expect(http.answers[0]!.violations.length).toBeGreaterThan(0);
  });

  it("a site where password login is disabled (before asking for a password)", async () => {
    const t = await createTestServer();
    await t.admin.setOrganization("", { email_auth_enabled: 0 });
    const http = await serveOverHttp(t.app.fetch);
    expect(await run(http)).toContain("password login is disabled in Zulip Dev");
    expect(http.answers.map((a) => [a.operationId, a.violations])).toEqual([["get-server-settings", []]]);
  });

  it("the root of a server hosting several organizations", async () => {
    const t = await createTestServer({ seed: false });
    await t.admin.addOrganization("lear", "Lear & Co.");
    const http = await serveOverHttp(t.app.fetch);
    expect(await run(http)).toMatch(/hosts several organizations: log in with your organization's own address/);
    expect(http.answers[0]!.violations).toEqual([]);
  });

  it("a server that cannot be reached", async () => {
    const gone = await serveOverHttp(staticHandler(200, "text/plain", ""));
    await gone.close();
    const path = freshPath();
    const r = await login(gone.url, ["--username", "iago@zulip.com", "--password-stdin", "--zuliprc", path], "x");
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/could not reach http:\/\/127\.0\.0\.1:\d+: .*ECONNREFUSED/);
  });

  // Each Zulip error code of fetch_api_key, met by the CLI as a real process; the Record keeps the list complete.
  const MESSAGES: Record<ErrorCode<"fetch-api-key">, RegExp> = {
    REQUEST_VARIABLE_MISSING: /the server did not receive the username \(a proxy in between may have dropped the request body\)/,
    BAD_REQUEST: /the server refused the username "hamlet": Enter a valid email address\./,
    NONEXISTENT_SUBDOMAIN: /cordelia@zulip\.com is not an account of Zulip Dev/,
    AUTHENTICATION_FAILED: /wrong username or password for Zulip Dev/,
    // server_settings already says so, and the login stops before the password is asked for.
    PASSWORD_AUTH_DISABLED: /password login is disabled in Zulip Dev/,
    REALM_DEACTIVATED: /the organization Gone Ltd has been deactivated/,
    USER_DEACTIVATED: /the account hamlet@zulip\.com has been deactivated in Zulip Dev/,
    PASSWORD_RESET_REQUIRED: /the password of weak@zulip\.com has been disabled and must be reset/,
    REQUEST_TOO_LARGE: /refused the request as too large/,
    RATE_LIMIT_HIT: /too many login attempts for iago@zulip\.com: try again in 30 minutes/,
    INTERNAL_SERVER_ERROR: /had an internal error: try again later/,
    SERVICE_UNAVAILABLE: /is temporarily unavailable \(a service it depends on does not answer\): try again in a few minutes/,
    LDAP_UNAVAILABLE: /Zulip Dev cannot reach its LDAP directory to check your password/,
  };

  it.each(Object.entries(FETCH_API_KEY_ERRORS))("%s gets a human message and exit 1", async (code, setup) => {
    const s = await setup();
    servers.push(s.http);
    const path = freshPath();
    const r = await login(s.http.url, ["--username", s.username, "--password-stdin", "--zuliprc", path], s.password);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(MESSAGES[code as ErrorCode<"fetch-api-key">]);
    expect(r.stderr).not.toContain(s.password);
    expect(r.stderr).not.toContain(code);
    expect(() => statSync(path)).toThrow();
    for (const a of s.http.answers) expect(a.violations, `${a.operationId} ${a.status}`).toEqual([]);
    const last = s.http.answers.at(-1)!;
    expect(last.operationId).toBe(code === "PASSWORD_AUTH_DISABLED" ? "get-server-settings" : "fetch-api-key");
  });

  it("a healthy in-process server works the same (the zuliprc holds the key the server stores)", async () => {
    const s = await healthy();
    servers.push(s.http);
    const path = freshPath();
    const r = await login(s.http.url, ["--username", s.username, "--password-stdin", "--zuliprc", path], s.password);
    expect(r.code).toBe(0);
    expect(readZuliprc(path).api).toEqual({ email: s.username, key: (await s.server.admin.user("", s.username)).api_key, site: s.http.url });
  });
});
