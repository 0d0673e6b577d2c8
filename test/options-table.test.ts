import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command, CommanderError, Help } from "commander";
import { describe, expect, it } from "vitest";
import { SETTINGS_FILE } from "../scripts/options-doc.ts";
import { OWASP_MINIMUM } from "../src/auth/hash-params.ts";
import { loadConfigFile } from "../src/cli/config-file.ts";
import { ALL_SETTINGS, DEMO_SETTINGS, SERVE_SETTINGS } from "../src/cli/serve-options.ts";
import { addSettings, environmentNames, optionOf, type Settings, settingsIn, type Values, valuesOf } from "../src/cli/setting.ts";
import { UserError } from "../src/cli/user-error.ts";
import { DEFAULT_CONFIG } from "../src/server/config.ts";

// The table → commander → parsed values path, in-process: a command built from a table as serve's is, parsed
// with a command line, an environment and a settings file, as main.ts does (the file's variables go into the
// environment below what it holds already).

const NAMES = new Set(environmentNames(ALL_SETTINGS));

/**
 * The values `table` parses to from argv, the environment `env` and a settings file holding `file`: any variable
 * of the tables (DATABASE_URL, LOG_LEVEL…) the developer's own environment sets is cleared first, and the
 * process's environment is as it was afterwards (the unit tests share one process).
 */
async function parse<S extends Settings>(table: S, argv: string[], env: Record<string, string> = {}, file?: string): Promise<Values<S>> {
  const saved = { ...process.env };
  try {
    for (const name of NAMES) delete process.env[name];
    Object.assign(process.env, env);
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
    for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name];
    Object.assign(process.env, saved);
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
    expect((await parse(SERVE_SETTINGS, ["--metrics-port", "9100"])).metrics).toEqual({ host: "127.0.0.1", port: 9100 });
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

describe("an empty value is no value (docs/operating.md)", () => {
  it("an empty ZULIP_AUTH_LDAP_URL means LDAP off, and empty LDAP settings beside it are not stray", async () => {
    expect((await parse(SERVE_SETTINGS, [], { ZULIP_AUTH_LDAP_URL: "" })).ldap).toBeUndefined();
    const empties = "ZULIP_AUTH_LDAP_URL=\nZULIP_AUTH_LDAP_BIND_PASSWORD=\nZULIP_AUTH_LDAP_USER_DN_TEMPLATE=\n";
    expect((await parse(SERVE_SETTINGS, [], { ZULIP_AUTH_LDAP_BIND_DN: " " }, empties)).ldap).toBeUndefined();
  });

  it("an empty or blank number from the environment or the settings file is the default, never 0", async () => {
    const env = { ZULIP_AUTH_PORT: "", ZULIP_AUTH_BODY_LIMIT: " ", ZULIP_AUTH_HEADERS_TIMEOUT: "" };
    for (const o of [
      await parse(SERVE_SETTINGS, [], env),
      await parse(SERVE_SETTINGS, [], {}, "ZULIP_AUTH_PORT=\nZULIP_AUTH_BODY_LIMIT=\nZULIP_AUTH_HEADERS_TIMEOUT= \n"),
    ]) {
      expect([o.port, o.config.bodyLimit, o.config.headersTimeoutMs]).toEqual([9991, DEFAULT_CONFIG.bodyLimit, DEFAULT_CONFIG.headersTimeoutMs]);
    }
    // An empty variable is not given: the settings file's value is the next source.
    expect((await parse(SERVE_SETTINGS, [], { ZULIP_AUTH_PORT: "" }, "ZULIP_AUTH_PORT=1005\n")).port).toBe(1005);
    expect((await parse(SERVE_SETTINGS, [], { LOG_LEVEL: "" })).log.level).toBe("info");
  });

  it("refuses an empty or blank flag value as bad usage, whatever the setting", async () => {
    for (const argv of [
      ["--port", ""],
      ["--body-limit", " "],
      ["--log-level", ""],
      ["--external-url", ""],
      ["--ldap-url", ""],
      ["--dev", ""],
    ]) {
      const error = await refusal(SERVE_SETTINGS, argv);
      expect([error.message, (error as UserError).exitCode], argv.join(" ")).toEqual([`${argv[0]} needs a value (leave the option out for its default)`, 2]);
    }
  });
});

describe("the reviewer's cases", () => {
  it("--help shows every default, a default given only as text too", () => {
    const help = new Help();
    for (const s of settingsIn(SERVE_SETTINGS).filter((s) => s.flag && (s.default !== undefined || s.defaultText !== undefined))) {
      const shown = s.defaultText ?? JSON.stringify(s.default);
      expect(help.optionDescription(optionOf(s)), s.flag).toContain(`default: ${shown}`);
    }
    expect(help.optionDescription(optionOf(SERVE_SETTINGS.metrics.settings.port))).toContain("default: 9992");
  });

  it("refuses an external URL with credentials from any source, showing it without them", async () => {
    for (const error of [
      await refusal(SERVE_SETTINGS, ["--external-url", "https://u:hunter2@chat.example.com"]),
      await refusal(SERVE_SETTINGS, [], { ZULIP_AUTH_EXTERNAL_URL: "https://u:hunter2@chat.example.com/x" }),
      await refusal(SERVE_SETTINGS, [], {}, "ZULIP_AUTH_EXTERNAL_URL=https://:hunter2@chat.example.com\n"),
    ]) {
      expect(error).toBeInstanceOf(UserError);
      expect((error as UserError).exitCode).toBe(2);
      expect(error.message).toMatch(/^--external-url \(ZULIP_AUTH_EXTERNAL_URL\) must not hold a user or password: https:\/\/chat\.example\.com(\/x)?$/);
      expect(error.message).not.toContain("hunter2");
    }
  });

  it("refuses a metrics host that is not an address as bad usage, as --host", async () => {
    const error = await refusal(SERVE_SETTINGS, ["--metrics-host", "not a host!"]);
    expect(error).toBeInstanceOf(CommanderError);
    expect(error.message).toContain("expected an IP address");
  });

  it("an explicit metrics off wins over a metrics port or host from any source", async () => {
    expect((await parse(SERVE_SETTINGS, ["--metrics", "off"], {}, "ZULIP_AUTH_METRICS_PORT=9100\n")).metrics).toBeUndefined();
    expect((await parse(SERVE_SETTINGS, ["--metrics-host", "::1"], { ZULIP_AUTH_METRICS: "off" })).metrics).toBeUndefined();
    // An empty ZULIP_AUTH_METRICS is not an off: the port still turns them on.
    expect((await parse(SERVE_SETTINGS, [], { ZULIP_AUTH_METRICS: "" }, "ZULIP_AUTH_METRICS_PORT=9100\n")).metrics).toEqual({ host: "127.0.0.1", port: 9100 });
  });

  it("refuses a settings file that sets ZULIP_AUTH_CONFIG", async () => {
    const error = await refusal(SERVE_SETTINGS, [], {}, "ZULIP_AUTH_CONFIG=other.env\n");
    expect([(error as UserError).exitCode, error.message]).toEqual([
      2,
      expect.stringMatching(/ZULIP_AUTH_CONFIG names the settings file, so it cannot be set in one$/),
    ]);
  });
});

describe(`${SETTINGS_FILE}, uncommented a line at a time`, () => {
  const text = readFileSync(SETTINGS_FILE, "utf8");
  const set = text.split("\n").filter((line) => /^[A-Z][A-Z0-9_]*=/.test(line));
  // The header's "ZULIP_AUTH_CONFIG=FILE" is prose, not a line to uncomment.
  const commented = [...text.matchAll(/^# ([A-Z][A-Z0-9_]*)=(.*)$/gm)]
    .map(([, name, value]) => ({ name: name!, value: value! }))
    .filter((c) => c.name !== "ZULIP_AUTH_CONFIG");
  const example = (name: string) => `${name}=${commented.find((c) => c.name === name)!.value}`;
  // What a line needs beside it to work: an LDAP setting needs the URL and a user search base (or, the template,
  // instead of it); a bind DN needs its password, and the password file must exist.
  const needs = (name: string): string[] => {
    if (!name.startsWith("ZULIP_AUTH_LDAP_")) return [];
    const url = name === "ZULIP_AUTH_LDAP_URL" ? [] : [example("ZULIP_AUTH_LDAP_URL")];
    const where = name === "ZULIP_AUTH_LDAP_USER_DN_TEMPLATE" ? [] : [example("ZULIP_AUTH_LDAP_USER_SEARCH_BASE")];
    const bind: Record<string, string> = {
      ZULIP_AUTH_LDAP_BIND_DN: "ZULIP_AUTH_LDAP_BIND_PASSWORD=pw",
      ZULIP_AUTH_LDAP_BIND_PASSWORD_FILE: example("ZULIP_AUTH_LDAP_BIND_DN"),
    };
    return [...url, ...where, ...(bind[name] ? [bind[name]] : [])];
  };

  it("has a value line for every setting with an example or a default, and no blank one", () => {
    expect(commented.length).toBeGreaterThan(30);
    expect(commented.filter((c) => c.value.trim() === "")).toEqual([]);
  });

  it("parses as serve's settings whichever line is uncommented", async () => {
    const secret = join(mkdtempSync(join(tmpdir(), "zulip-auth-bind-")), "password");
    writeFileSync(secret, "pw\n");
    for (const { name, value } of commented) {
      const line = name === "ZULIP_AUTH_LDAP_BIND_PASSWORD_FILE" ? `${name}=${secret}` : `${name}=${value}`;
      const file = [...set, line, ...needs(name)].join("\n");
      await expect(parse(SERVE_SETTINGS, [], {}, `${file}\n`), line).resolves.toBeDefined();
    }
  });
});

describe("demo's table", () => {
  it("is where serve's listen and log settings are, and only those", async () => {
    const o = await parse(DEMO_SETTINGS, ["--host", "::1", "--log-format", "pretty"], { ZULIP_AUTH_PORT: "0" });
    expect(o).toEqual({ port: 0, host: "::1", log: { level: "info", format: "pretty" } });
    await expect(parse(DEMO_SETTINGS, ["--db", "x.sqlite"])).rejects.toThrow("unknown option '--db'");
  });
});
