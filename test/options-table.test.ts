import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command, CommanderError } from "commander";
import { describe, expect, it } from "vitest";
import { OWASP_MINIMUM } from "../src/auth/hash-params.ts";
import { loadConfigFile } from "../src/cli/config-file.ts";
import { ALL_SETTINGS, DEMO_SETTINGS, SERVE_SETTINGS } from "../src/cli/serve-options.ts";
import { addSettings, environmentNames, type Settings, type Values, valuesOf } from "../src/cli/setting.ts";
import { UserError } from "../src/cli/user-error.ts";
import { DEFAULT_CONFIG } from "../src/server/config.ts";

// The table → commander → parsed values path, in-process: a command built from a table as serve's is, parsed
// with a command line, an environment and a settings file, as main.ts does (the file's variables go into the
// environment below what it holds already).

const NAMES = new Set(environmentNames(ALL_SETTINGS));

/** The values `table` parses to from argv, the environment `env` and a settings file holding `file`; the process's environment is left as it was. */
async function parse<S extends Settings>(table: S, argv: string[], env: Record<string, string> = {}, file?: string): Promise<Values<S>> {
  const before = new Set(Object.keys(process.env));
  try {
    for (const [name, value] of Object.entries(env)) {
      expect(process.env[name], `${name} is already set in this process`).toBeUndefined();
      process.env[name] = value;
    }
    if (file !== undefined) {
      const path = join(mkdtempSync(join(tmpdir(), "zulip-auth-table-")), "settings.env");
      writeFileSync(path, file);
      loadConfigFile(path, NAMES);
    }
    let values: Values<S> | undefined;
    const command = addSettings(new Command("serve").exitOverride().configureOutput({ writeErr: () => {} }), table).action((_o, c: Command) => {
      values = valuesOf(table, c);
    });
    await command.parseAsync(argv, { from: "user" });
    return values!;
  } finally {
    for (const name of Object.keys(process.env)) if (!before.has(name)) delete process.env[name];
  }
}

/** The usage error a parse ends with. */
async function refusal(table: Settings, argv: string[], env: Record<string, string> = {}, file?: string): Promise<Error> {
  const error = await parse(table, argv, env, file).then(
    () => undefined,
    (e: Error) => e,
  );
  expect(error).toBeInstanceOf(Error);
  return error!;
}

describe("serve's table, parsed", () => {
  it("with nothing given: the server's own defaults, and the values StartOptions takes", async () => {
    const o = await parse(SERVE_SETTINGS, []);
    expect(o.config).toEqual(DEFAULT_CONFIG);
    expect(o).toMatchObject({ port: 9991, host: "127.0.0.1", serviceTimeoutMs: 3000, hashParams: OWASP_MINIMUM, auditRetentionDays: 90 });
    expect([o.databaseUrl, o.redisUrl, o.metrics, o.ldap, o.log.format]).toEqual([undefined, undefined, undefined, undefined, undefined]);
    expect(o.log.level).toBe("info");
  });

  it("takes a flag over the environment, and the environment over the settings file", async () => {
    const file = "ZULIP_AUTH_PORT=1001\nZULIP_AUTH_RATE_LIMIT=off\nZULIP_AUTH_DEV=on\nZULIP_AUTH_ROOT_DOMAIN=file.example.com\n";
    const env = { ZULIP_AUTH_PORT: "1002", ZULIP_AUTH_RATE_LIMIT: "7/60" };
    const fromFile = await parse(SERVE_SETTINGS, [], {}, file);
    expect([fromFile.port, fromFile.config.limits.userAddress, fromFile.config.devMode, fromFile.config.rootDomain]).toEqual([
      1001,
      null,
      true,
      "file.example.com",
    ]);
    const fromEnv = await parse(SERVE_SETTINGS, [], env, file);
    expect([fromEnv.port, fromEnv.config.limits.userAddress, fromEnv.config.devMode]).toEqual([1002, { attempts: 7, windowSeconds: 60 }, true]);
    const fromFlags = await parse(SERVE_SETTINGS, ["--port", "1003", "--rate-limit", "off", "--dev", "off", "--root-domain", "Flag.Example.com"], env, file);
    expect([fromFlags.port, fromFlags.config.limits.userAddress, fromFlags.config.devMode, fromFlags.config.rootDomain]).toEqual([
      1003,
      null,
      false,
      "flag.example.com",
    ]);
  });

  it("derives the metrics listener from any of its three settings, and the LDAP config with its env-only password", async () => {
    expect((await parse(SERVE_SETTINGS, ["--metrics"])).metrics).toEqual({ host: "127.0.0.1", port: 9992 });
    expect((await parse(SERVE_SETTINGS, ["--metrics", "off", "--metrics-port", "9100"])).metrics).toEqual({ host: "127.0.0.1", port: 9100 });
    expect((await parse(SERVE_SETTINGS, [], { ZULIP_AUTH_METRICS_HOST: "::1" })).metrics).toEqual({ host: "::1", port: 9992 });
    const ldap = [
      "--ldap-url",
      "ldap://127.0.0.1:389",
      "--ldap-bind-dn",
      "cn=admin,dc=example,dc=com",
      "--ldap-user-search-base",
      "ou=people,dc=example,dc=com",
    ];
    const o = await parse(SERVE_SETTINGS, [...ldap, "--service-timeout", "1500"], {}, "ZULIP_AUTH_LDAP_BIND_PASSWORD=from-the-file\n");
    expect(o.ldap).toEqual({
      url: "ldap://127.0.0.1:389",
      bindDn: "cn=admin,dc=example,dc=com",
      bindPassword: "from-the-file",
      userSearchBase: "ou=people,dc=example,dc=com",
      userSearchFilter: "(uid=%(user)s)",
      userDnTemplate: undefined,
      emailAttribute: "mail",
      fullNameAttribute: "cn",
      timeoutMs: 1500,
    });
    expect(o.serviceTimeoutMs).toBe(1500);
  });

  it("refuses a bad value from each source with commander's one sentence, naming the option and the variable it came from", async () => {
    const messages = [
      await refusal(SERVE_SETTINGS, ["--port", "x"]),
      await refusal(SERVE_SETTINGS, [], { ZULIP_AUTH_PORT: "y" }),
      await refusal(SERVE_SETTINGS, [], {}, "ZULIP_AUTH_PORT=z\n"),
    ];
    for (const error of messages) {
      expect(error).toBeInstanceOf(CommanderError);
      expect((error as CommanderError).exitCode).not.toBe(0);
      expect(error.message).not.toContain("\n");
    }
    expect(messages.map((e) => e.message)).toEqual([
      "error: option '--port <port>' argument 'x' is invalid. expected a whole number",
      "error: option '--port <port>' value 'y' from env 'ZULIP_AUTH_PORT' is invalid. expected a whole number",
      "error: option '--port <port>' value 'z' from env 'ZULIP_AUTH_PORT' is invalid. expected a whole number",
    ]);
    // A bad value overridden by a better source is never read, as before.
    expect((await parse(SERVE_SETTINGS, ["--port", "1004"], { ZULIP_AUTH_PORT: "y" })).port).toBe(1004);
  });

  it("refuses a service URL of the wrong kind as bad usage, without the value (it may hold a password), from any source", async () => {
    for (const error of [
      await refusal(SERVE_SETTINGS, ["--redis-url", "http://:Secret-pw@cache.example.com"]),
      await refusal(SERVE_SETTINGS, [], {}, "DATABASE_URL=mysql://root:Secret-pw@db.example.com/x\n"),
    ]) {
      expect(error).toBeInstanceOf(UserError);
      expect((error as UserError).exitCode).toBe(2);
      expect(error.message).toMatch(/^--(redis|database)-url \((REDIS|DATABASE)_URL\) must be a URL such as [^\n]+$/);
      expect(error.message).not.toContain("Secret-pw");
    }
  });

  it("refuses LDAP settings that cannot work as bad usage, once parsed", async () => {
    const stray = await refusal(SERVE_SETTINGS, [], { ZULIP_AUTH_LDAP_BIND_PASSWORD: "pw" });
    expect([stray.message, (stray as UserError).exitCode]).toEqual(["LDAP settings were given without --ldap-url (ZULIP_AUTH_LDAP_URL)", 2]);
  });
});

describe("demo's table", () => {
  it("is where serve's listen and log settings are, and only those", async () => {
    const o = await parse(DEMO_SETTINGS, ["--host", "::1", "--log-format", "pretty"], { ZULIP_AUTH_PORT: "0" });
    expect(o).toEqual({ port: 0, host: "::1", log: { level: "info", format: "pretty" } });
    await expect(parse(DEMO_SETTINGS, ["--db", "x.sqlite"])).rejects.toThrow("unknown option '--db'");
  });
});
