import { execFile, spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";
import { openSqliteStore } from "../src/store/sqlite.ts";
import { conformant } from "./helpers/harness.ts";
import { BIN, runCli, startServerProcess } from "./helpers/process.ts";

// What an operator meets at the edges: pipes closed early, mistyped paths and values, settings files, warnings.

const sh = promisify(execFile);
const fresh = (name: string) => mkdtempSync(join(tmpdir(), `zulip-auth-${name}-`));
/** One line on stderr, with the program's prefix. */
const oneLine = (stderr: string) => expect(stderr).toMatch(/^zulip-auth: [^\n]+\n$/);
/** Bad usage (exit 2): the one line, then where the command's help is. */
const usageLines = (stderr: string, command: string) => expect(stderr).toMatch(new RegExp(`^zulip-auth: [^\\n]+\\nTry '${command} --help'\\n$`));

describe("a closed output pipe (`… | head -1`)", () => {
  let db: string;
  beforeAll(async () => {
    db = join(fresh("epipe"), "big.sqlite");
    // Far more than a pipe holds (64 KiB), so the command is still writing when head has gone.
    const store = await openSqliteStore(db);
    for (let i = 0; i < 400; i++) {
      await store.createOrganization(`org${i}`, `Organization ${i}`);
      await store.updateOrganization(`org${i}`, { description: "x".repeat(400) });
    }
    await store.close();
  });

  for (const args of [
    ["org", "list"],
    ["org", "list", "--json"],
  ]) {
    it(`${args.join(" ")} | head -1 ends quietly with exit 0`, async () => {
      const command = `set -o pipefail; ${[process.execPath, BIN, ...args, "--db", db].map((a) => `'${a}'`).join(" ")} | head -1`;
      const { stdout, stderr } = await sh("bash", ["-c", command]);
      expect(stdout.split("\n")).toHaveLength(2);
      expect(stderr).toBe("");
    });
  }
});

describe("read-only commands on a database that is not there", () => {
  it("print one line naming the path, exit 1, and create nothing", async () => {
    const dir = fresh("missing");
    const db = join(dir, "typo", "zulip-auth.sqlite");
    for (const args of [
      ["org", "list"],
      ["user", "list"],
      ["audit"],
      ["limits", "show"],
      ["org", "deactivate", "lear"],
      ["user", "deactivate", "iago@zulip.com"],
    ]) {
      const r = await runCli([...args, "--db", db]);
      expect(r.code, args.join(" ")).toBe(1);
      oneLine(r.stderr);
      expect(r.stderr).toContain(`no database at ${db}`);
    }
    expect(readdirSync(dir)).toEqual([]);
  });

  it("org add creates it, and the commands then read it", async () => {
    const db = join(fresh("created"), "new", "zulip-auth.sqlite");
    expect((await runCli(["org", "add", "", "--db", db])).code).toBe(0);
    expect(existsSync(db)).toBe(true);
    expect(await runCli(["org", "list", "--json", "--db", db])).toMatchObject({ code: 0, stderr: "" });
  });

  it("a folder given as --db is one sentence, exit 1", async () => {
    const dir = fresh("folder");
    for (const args of [
      ["org", "list"],
      ["org", "add", ""],
    ]) {
      const r = await runCli([...args, "--db", dir]);
      expect(r.code).toBe(1);
      oneLine(r.stderr);
      expect(r.stderr).toContain(`cannot use the database file ${dir}: it is a folder`);
    }
  });
});

describe("one-sentence operator errors", () => {
  it("org add www says the subdomain is reserved", async () => {
    const r = await runCli(["org", "add", "www", "--db", join(fresh("www"), "db.sqlite")]);
    expect(r.code).toBe(1);
    oneLine(r.stderr);
    expect(r.stderr).toContain('the subdomain "www" is reserved');
  });

  it("serve on a taken port or an unknown host name names the address and why", async () => {
    const taken = createServer().listen(0, "127.0.0.1");
    await once(taken, "listening");
    const { port } = taken.address() as { port: number };
    const db = join(fresh("listen"), "db.sqlite");
    try {
      const inUse = await runCli(["serve", "--port", String(port), "--db", db]);
      expect(inUse.code).toBe(1);
      expect(inUse.stderr).toBe(
        `zulip-auth: cannot listen on 127.0.0.1:${port}: the address is already in use (another server, or another zulip-auth, listens there)\n`,
      );
    } finally {
      taken.close();
    }
    const unknown = await runCli(["serve", "--port", "0", "--host", "nosuch.invalid", "--db", db]);
    expect(unknown).toMatchObject({ code: 1, stderr: "zulip-auth: cannot listen on nosuch.invalid:0: the host name does not resolve\n" });
  });

  it("login to a plain-HTTP port over https names the mismatch, not OpenSSL's internals", async () => {
    const plain = createServer((socket) => socket.end("HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n"));
    plain.listen(0, "127.0.0.1");
    await once(plain, "listening");
    const { port } = plain.address() as { port: number };
    try {
      const r = await runCli(["login", `127.0.0.1:${port}`, "--username", "iago@zulip.com", "--zuliprc", join(fresh("tls"), "zuliprc")]);
      expect(r.code).toBe(1);
      oneLine(r.stderr);
      expect(r.stderr).toContain(
        `could not reach https://127.0.0.1:${port}: it does not speak HTTPS on that port; if it serves plain HTTP, use http://127.0.0.1:${port}`,
      );
      expect(r.stderr).not.toMatch(/ssl3|openssl|routines/i);
    } finally {
      plain.close();
    }
  });
});

describe("start-up validation (bad usage: exit 2, before anything starts)", () => {
  const refused = async (args: string[], env: Record<string, string> = {}, mention?: string) => {
    const r = await runCli(args, { env });
    expect(r.code, args.join(" ")).toBe(2);
    if (mention) expect(r.stderr).toContain(mention);
    return r;
  };

  it("refuses a root domain with a scheme, a path or spaces, from the option or the environment", async () => {
    for (const value of ["https://chat.example.com:443/", "chat example", "chat.example.com/zulip", "chat.example.com:99999", ""]) {
      await refused(["serve", "--root-domain", value], {}, "--root-domain");
    }
    await refused(["serve"], { ZULIP_AUTH_ROOT_DOMAIN: "http://chat.example.com" }, "ZULIP_AUTH_ROOT_DOMAIN");
  });

  it("refuses a log level that is not one of pino's, from LOG_LEVEL or --log-level, and a bad listen address", async () => {
    await refused(["serve"], { LOG_LEVEL: "bogus" }, "Allowed choices are fatal, error, warn, info, debug, trace, silent");
    await refused(["demo", "--log-level", "loud"], {}, "--log-level");
    await refused(["serve", "--log-format", "xml"], {}, "--log-format");
    await refused(["serve", "--host", "not a host"], {}, "--host");
  });

  it("refuses a database or Redis URL of another kind, without repeating its password", async () => {
    const db = await refused(
      ["org", "list"],
      { DATABASE_URL: "mysql://root:Secret-pw@db.example.com/x" },
      "--database-url (DATABASE_URL) must be a URL such as",
    );
    const redis = await refused(["serve", "--redis-url", "http://:Secret-pw@cache.example.com:6379"], {}, "--redis-url (REDIS_URL) must be a URL such as");
    for (const [r, command] of [
      [db, "zulip-auth org list"],
      [redis, "zulip-auth serve"],
    ] as const) {
      usageLines(r.stderr, command);
      expect(r.stderr).not.toContain("Secret-pw");
    }
  });

  it("refuses a bad value from the command line, the environment or the settings file alike: one sentence, the help's pointer, exit 2", async () => {
    const file = join(fresh("bad-value"), "zulip-auth.env");
    writeFileSync(file, "ZULIP_AUTH_MAX_CONNECTIONS=0\nDATABASE_URL=mysql://root:Secret-pw@db.example.com/x\n");
    const sources: [string[], Record<string, string>, string][] = [
      [["serve", "--max-connections", "0"], {}, "argument '0' is invalid"],
      [["serve"], { ZULIP_AUTH_MAX_CONNECTIONS: "0" }, "value '0' from env 'ZULIP_AUTH_MAX_CONNECTIONS' is invalid"],
      [
        ["serve", "--config", file, "--database-url", "postgres://db.example.com/x"],
        {},
        `value '0' from ZULIP_AUTH_MAX_CONNECTIONS in settings file ${file} is invalid`,
      ],
    ];
    for (const [args, env, words] of sources) {
      const r = await refused(args, env);
      expect(r.stderr).toBe(`error: option '--max-connections <n>' ${words}. expected a whole number above 0\nTry 'zulip-auth serve --help'\n`);
    }
    // Every command reads the same file: a database command meets its bad DATABASE_URL, told without the password.
    const r = await refused(["user", "list", "--config", file], {}, "--database-url (DATABASE_URL) must be a URL such as");
    usageLines(r.stderr, "zulip-auth user list");
    expect(r.stderr).not.toContain("Secret-pw");
  });

  it("refuses an empty flag, credentials in --external-url (without echoing them) and a bad --metrics-host, exit 2", async () => {
    usageLines((await refused(["serve", "--port", ""], {}, "--port needs a value")).stderr, "zulip-auth serve");
    const file = join(fresh("credentials"), "zulip-auth.env");
    writeFileSync(file, "ZULIP_AUTH_EXTERNAL_URL=https://u:hunter2@chat.example.com\n");
    for (const [args, env] of [
      [["serve", "--external-url", "https://u:hunter2@chat.example.com"], {}],
      [["serve"], { ZULIP_AUTH_EXTERNAL_URL: "https://u:hunter2@chat.example.com/zulip" }],
      [["serve", "--config", file], {}],
    ] as [string[], Record<string, string>][]) {
      const r = await refused(args, env, "--external-url (ZULIP_AUTH_EXTERNAL_URL) must not hold a user or password: https://chat.example.com");
      usageLines(r.stderr, "zulip-auth serve");
      expect(r.stderr).not.toContain("hunter2");
    }
    const host = await refused(["serve", "--metrics-host", "not a host!"], {}, "error: option '--metrics-host <address>' argument 'not a host!' is invalid");
    expect(host.stderr).not.toContain("ENOTFOUND");
  });

  it("refuses a settings file that is missing or names a setting no command reads", async () => {
    const dir = fresh("config");
    await refused(["org", "list", "--config", join(dir, "nope.env")], {}, `cannot read the settings file ${join(dir, "nope.env")}: no such file`);
    const typo = join(dir, "typo.env");
    writeFileSync(typo, "ZULIP_AUTH_PROT=9991\n");
    const r = await refused(["serve"], { ZULIP_AUTH_CONFIG: typo }, "ZULIP_AUTH_PROT is not a zulip-auth setting");
    usageLines(r.stderr, "zulip-auth serve");
    const nested = join(dir, "nested.env");
    writeFileSync(nested, `ZULIP_AUTH_CONFIG=${typo}\n`);
    await refused(["org", "list", "--config", nested], {}, `${nested}: ZULIP_AUTH_CONFIG names the settings file, so it cannot be set in one`);
  });
});

describe("--config FILE / ZULIP_AUTH_CONFIG", () => {
  it("every command reads the file's settings; the environment and the command line win over it", async () => {
    const dir = fresh("settings");
    const inFile = join(dir, "from-file.sqlite");
    const config = join(dir, "zulip-auth.env");
    writeFileSync(config, `# comments and blank lines are fine\n\nZULIP_AUTH_DB=${inFile}\n`);
    expect((await runCli(["org", "add", "lear", "--config", config])).code).toBe(0);
    expect(existsSync(inFile)).toBe(true);
    const list = await runCli(["org", "list", "--json"], { env: { ZULIP_AUTH_CONFIG: config } });
    expect(JSON.parse(list.stdout).map((o: { subdomain: string }) => o.subdomain)).toEqual(["lear"]);
    // The environment's ZULIP_AUTH_DB wins over the file's; --db wins over both.
    const fromEnv = join(dir, "from-env.sqlite");
    expect((await runCli(["org", "add", "zephyr", "--config", config], { env: { ZULIP_AUTH_DB: fromEnv } })).code).toBe(0);
    const fromFlag = join(dir, "from-flag.sqlite");
    expect((await runCli(["org", "add", "nopw", "--config", config, "--db", fromFlag], { env: { ZULIP_AUTH_DB: fromEnv } })).code).toBe(0);
    const names = async (db: string) => JSON.parse((await runCli(["org", "list", "--json", "--db", db])).stdout).map((o: { subdomain: string }) => o.subdomain);
    expect([await names(inFile), await names(fromEnv), await names(fromFlag)]).toEqual([["lear"], ["zephyr"], ["nopw"]]);
  });
});

describe("an empty variable is not given", () => {
  it("serve starts with LDAP off when ZULIP_AUTH_LDAP_URL is empty, and an empty number is its default", async () => {
    const db = join(fresh("empty"), "empty.sqlite");
    expect((await runCli(["org", "add", "", "--db", db])).code).toBe(0);
    const env = { ZULIP_AUTH_LDAP_URL: "", ZULIP_AUTH_LDAP_BIND_PASSWORD: "", ZULIP_AUTH_BODY_LIMIT: "", ZULIP_AUTH_HEADERS_TIMEOUT: "" };
    const server = await startServerProcess(["serve", "--port", "0", "--db", db], env);
    try {
      // An empty body limit is the default, not 0 (which would answer every body 413).
      const body = new URLSearchParams({ username: "nobody@example.com", password: "x" });
      const answer = await conformant("fetch-api-key", await fetch(`${server.url}/api/v1/fetch_api_key`, { method: "POST", body }));
      expect(answer.status).not.toBe(413);
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });
});

describe("serve's warnings at start, and its logs", () => {
  it("on a new database: a warning naming the file and the command that adds an organization", async () => {
    const dir = fresh("empty");
    const db = join(dir, "empty.sqlite");
    mkdirSync(join(dir, "x"));
    const server = await startServerProcess(["serve", "--port", "0", "--db", db]);
    try {
      const line = await server.waitForOutput(/^\{"level":40,.*"msg":"the database has no organization.*\}$/m);
      const warning = JSON.parse(line[0]);
      expect(warning.database).toBe(db);
      expect(warning.msg).toContain(`zulip-auth org add "" --db ${db}`);
      expect(server.output()).not.toContain("dev mode");
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });

  it("--dev: a warning that keys are handed out without a password", async () => {
    const db = join(fresh("dev"), "dev.sqlite");
    expect((await runCli(["org", "add", "", "--db", db])).code).toBe(0);
    const server = await startServerProcess(["serve", "--port", "0", "--db", db, "--dev"]);
    try {
      const line = await server.waitForOutput(/^\{"level":40,.*"msg":"dev mode is on.*\}$/m);
      expect(JSON.parse(line[0]).msg).toContain("without a password");
      expect(server.output()).not.toContain("no organization");
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });

  it("--log-format pretty: the time, the level's name and the message on one line (pino-pretty)", async () => {
    const db = join(fresh("pretty"), "pretty.sqlite");
    expect((await runCli(["org", "add", "", "--db", db])).code).toBe(0);
    const child = spawn(process.execPath, [BIN, "serve", "--port", "0", "--db", db, "--log-format", "pretty"], { stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    const listening = new Promise<RegExpExecArray>((resolve) =>
      child.stdout.on("data", (d: Buffer) => {
        output += d;
        const m = /^\[(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} [+-]\d{4})\] INFO: listening\n\s+url: "(http:[^"]+)"/m.exec(output);
        if (m) resolve(m);
      }),
    );
    const [, time, url] = await listening;
    expect(Date.parse(time!.replace(" ", "T").replace(/ ([+-]\d\d)(\d\d)$/, "$1:$2"))).not.toBeNaN();
    expect((await conformant("get-health", await fetch(`${url}/healthz`))).status).toBe(200);
    child.kill("SIGTERM");
    const [code] = await once(child, "close");
    expect(code).toBe(0);
    expect(output).toMatch(/\] INFO: stopping\n\s+signal: "SIGTERM"/);
    expect(output).not.toContain('{"level"');
  });
});
