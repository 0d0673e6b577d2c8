import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { PEOPLE, PEOPLE_DN, SERVICE_ACCOUNT } from "./helpers/directory.ts";
import { conformant } from "./helpers/harness.ts";
import { runCli, type ServerProcess, startServerProcess } from "./helpers/process.ts";
import { missingServices, need, SERVICE_URLS } from "./helpers/service-env.ts";

// `serve` with the LDAP settings of the README, as a real process against the real directory.

const NO_LDAP = missingServices("ldap");
const dir = mkdtempSync(join(tmpdir(), "zulip-auth-ldap-serve-"));
const db = join(dir, "zulip-auth.sqlite");
const passwordFile = join(dir, "ldap-bind-password");

describe("serve with LDAP settings", () => {
  let server: ServerProcess | undefined;
  afterAll(async () => {
    await server?.stop();
  });

  it("logs an LDAP user in (bind password from a file, never in the process's arguments)", async (ctx) => {
    need(ctx, NO_LDAP);
    writeFileSync(passwordFile, SERVICE_ACCOUNT.password + "\n");
    chmodSync(passwordFile, 0o600);
    for (const args of [
      ["org", "add", "", "--name", "Example Inc."],
      ["org", "set", "", "--ldap-auth", "on"],
    ]) {
      expect(await runCli([...args, "--db", db])).toMatchObject({ code: 0 });
    }
    server = await startServerProcess([
      "serve",
      "--port",
      "0",
      "--db",
      db,
      "--ldap-url",
      SERVICE_URLS.ldap!,
      "--ldap-bind-dn",
      SERVICE_ACCOUNT.dn,
      "--ldap-bind-password-file",
      passwordFile,
      "--ldap-user-search-base",
      PEOPLE_DN,
      "--ldap-user-search-filter",
      "(uid=%(user)s)",
    ]);
    const r = await conformant<Record<string, unknown>>(
      "fetch-api-key",
      await fetch(`${server.url}/api/v1/fetch_api_key`, {
        method: "POST",
        body: new URLSearchParams({ username: PEOPLE.ada.uid, password: PEOPLE.ada.password }),
      }),
    );
    expect(r.status).toBe(200);
    expect(r.body.email).toBe(PEOPLE.ada.mail);
    const cmdline = readFileSync(`/proc/${server.child.pid}/cmdline`, "utf8");
    expect(cmdline).toContain("--ldap-bind-password-file");
    expect(cmdline).not.toContain(SERVICE_ACCOUNT.password);
    expect(server.output()).not.toContain(SERVICE_ACCOUNT.password);
    const users = JSON.parse((await runCli(["user", "list", "--json", "--db", db])).stdout) as { email: string; name: string }[];
    expect(users).toEqual([expect.objectContaining({ email: PEOPLE.ada.mail, name: PEOPLE.ada.cn })]);
  });
});

describe("LDAP settings that cannot work stop serve before it starts", () => {
  const serve = (args: string[], env: Record<string, string> = {}) => runCli(["serve", "--port", "0", "--db", db, ...args], { env });
  const base = ["--ldap-url", "ldap://127.0.0.1:389"];

  it.each([
    ["LDAP settings were given without --ldap-url (ZULIP_AUTH_LDAP_URL)", ["--ldap-bind-dn", "cn=x"], {}],
    ["give either an LDAP user search base (with its filter) or a user DN template, not both or neither", [...base], {}],
    [
      "give either an LDAP user search base (with its filter) or a user DN template, not both or neither",
      [...base, "--ldap-user-search-base", "dc=x", "--ldap-user-dn-template", "uid=%(user)s,dc=x"],
      {},
    ],
    ["the LDAP user search filter must contain %(user)s", [...base, "--ldap-user-search-base", "dc=x", "--ldap-user-search-filter", "(uid=*)"], {}],
    ["the LDAP user DN template must contain %(user)s", [...base, "--ldap-user-dn-template", "uid=admin,dc=x"], {}],
    [
      "an LDAP bind DN needs its password (from the environment or a file), and a password needs its DN",
      [...base, "--ldap-user-search-base", "dc=x", "--ldap-bind-dn", "cn=x"],
      {},
    ],
    [
      "cannot read the LDAP bind password file /nonexistent/pw: ENOENT",
      [...base, "--ldap-user-search-base", "dc=x", "--ldap-bind-dn", "cn=x", "--ldap-bind-password-file", "/nonexistent/pw"],
      {},
    ],
    [
      "give the LDAP bind password once: ZULIP_AUTH_LDAP_BIND_PASSWORD or --ldap-bind-password-file, not both",
      [...base, "--ldap-user-search-base", "dc=x", "--ldap-bind-dn", "cn=x", "--ldap-bind-password-file", "/nonexistent/pw"],
      { ZULIP_AUTH_LDAP_BIND_PASSWORD: "pw" },
    ],
    [
      "the LDAP URL must be ldap://host[:port] or ldaps://host[:port], not http://127.0.0.1",
      ["--ldap-url", "http://127.0.0.1", "--ldap-user-search-base", "dc=x"],
      {},
    ],
  ] as const)("%s", async (message, args, env) => {
    const r = await serve([...args], env);
    expect(r.code).toBe(2);
    // Bad usage: the one line, then where the help is (as for commander's own usage errors).
    expect(r.stderr).toBe(`zulip-auth: ${message}\nTry 'zulip-auth serve --help'\n`);
  });

  it("has no option that would put the bind password in the arguments", async () => {
    const r = await serve([...base, "--ldap-bind-password", "secret"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("unknown option '--ldap-bind-password'");
  });
});
