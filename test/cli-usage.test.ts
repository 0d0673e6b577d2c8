import { once } from "node:events";
import { chmodSync, existsSync, mkdtempSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { openSqliteStore } from "../src/store/sqlite.ts";
import { BIN, runCli, startProcess } from "./helpers/process.ts";

const tempDir = () => mkdtempSync(join(tmpdir(), "zulip-auth-ops-"));
const mode = (path: string) => (statSync(path).mode & 0o777).toString(8);

describe("usage errors, as the README says", () => {
  it("bad usage prints the error line and Try 'zulip-auth <command> --help', exit 2", async () => {
    for (const [args, command] of [
      [["user", "add"], "user add"],
      [["serve", "--port", "x"], "serve"],
      [["org", "set", "lear", "--password-auth", "maybe"], "org set"],
      [["check"], "check"],
    ] as const) {
      const r = await runCli([...args]);
      expect(r.code).toBe(2);
      const lines = r.stderr.trim().split("\n");
      expect(lines).toHaveLength(2);
      expect(lines[0]).toMatch(/^error: /);
      expect(lines[1]).toBe(`Try 'zulip-auth ${command} --help'`);
      expect(r.stdout).toBe("");
    }
    // A mistyped required option is unknown, with the suggestion; a missing one is named (after unknown ones).
    for (const [args, command, line] of [
      [["login", "https://chat.example.com", "--usernme", "x"], "login", "error: unknown option '--usernme'\n(Did you mean --username?)"],
      [["check", "https://chat.example.com", "--usernme", "x", "--password-stdin"], "check", "error: unknown option '--usernme'\n(Did you mean --username?)"],
      [["login", "https://chat.example.com"], "login", "error: required option '--username <email>' not specified"],
    ] as const) {
      const r = await runCli([...args]);
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.stderr).toBe(`${line}\nTry 'zulip-auth ${command} --help'\n`);
      expect(r.stdout).toBe("");
    }
    const unknown = await runCli(["frobnicate"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toBe("error: unknown command 'frobnicate'\nTry 'zulip-auth --help'\n");
  });

  it("no command prints the help on stderr and exits 2; --help prints it on stdout and exits 0", async () => {
    const none = await runCli([]);
    expect(none.code).toBe(2);
    expect(none.stdout).toBe("");
    expect(none.stderr).toContain("Usage: zulip-auth [options] [command]");
    const group = await runCli(["user"]);
    expect(group.code).toBe(2);
    expect(group.stderr).toContain("Usage: zulip-auth user");
    const help = await runCli(["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toBe(none.stderr);
    const checkHelp = await runCli(["check", "--help"]);
    expect(checkHelp.stdout).toContain("fetch-api-key");
  });
});

describe("the database file", () => {
  it("is created 0600 with its -wal and -shm, in folders created 0700, whatever the umask", async () => {
    const dir = tempDir();
    const db = join(dir, "new", "deeper", "zulip-auth.sqlite");
    // A shell sets a permissive umask, then becomes the server: the modes below are the server's doing.
    const server = await startProcess("/bin/sh", ["-c", `umask 000; exec "$0" "$@"`, process.execPath, BIN, "serve", "--port", "0", "--db", db]);
    try {
      expect(mode(join(dir, "new"))).toBe("700");
      expect(mode(join(dir, "new", "deeper"))).toBe("700");
      for (const file of [db, `${db}-wal`, `${db}-shm`]) expect(mode(file)).toBe("600");
      // The start-up log names the database by its absolute path.
      expect(server.output()).toContain(`"database":"${db}"`);
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });

  it("a relative --db is logged as an absolute path", async () => {
    const dir = tempDir();
    const server = await startProcess(process.execPath, [BIN, "serve", "--port", "0", "--db", "rel.sqlite"], { cwd: dir });
    try {
      expect(server.output()).toContain(`"database":"${join(dir, "rel.sqlite")}"`);
    } finally {
      await server.stop();
    }
  });

  it("org list on an empty database says it is empty and where it looked", async () => {
    const db = join(tempDir(), "empty.sqlite");
    // A database with no organization yet, as `serve` leaves a new one.
    await (await openSqliteStore(db)).close();
    const r = await runCli(["org", "list", "--db", db]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe(`no organizations in ${db}: the database is empty (create one with zulip-auth org add <subdomain>)\n`);
    expect(JSON.parse((await runCli(["org", "list", "--json", "--db", db])).stdout)).toEqual([]);
  });

  it("defaults to the user's data folder, whatever the working folder", async () => {
    const home = tempDir();
    // undefined leaves the variable out of the child's environment.
    const env = { HOME: home, ZULIP_AUTH_DB: undefined, XDG_DATA_HOME: undefined };
    expect((await runCli(["org", "add", "", "--name", "Home"], { env, cwd: tempDir() })).code).toBe(0);
    expect(existsSync(join(home, ".local", "share", "zulip-auth", "zulip-auth.sqlite"))).toBe(true);
    const listed = await runCli(["org", "list", "--json"], { env, cwd: tempDir() });
    expect(JSON.parse(listed.stdout)).toMatchObject([{ name: "Home" }]);
    const xdg = tempDir();
    expect((await runCli(["org", "add", "", "--name", "Xdg"], { env: { ...env, XDG_DATA_HOME: xdg } })).code).toBe(0);
    expect(existsSync(join(xdg, "zulip-auth", "zulip-auth.sqlite"))).toBe(true);
  });

  // As root (CI containers), permissions do not stop a write: /sys refuses it for everyone.
  const unwritable = () => {
    if (process.getuid?.() === 0) return "/sys";
    const dir = tempDir();
    chmodSync(dir, 0o555);
    return dir;
  };

  it.each([
    ["a folder that cannot be made", () => ({ path: "/proc/nowhere/x.sqlite", reason: "no such file or directory (ENOENT)" })],
    ["a file where a folder should be", () => ({ path: "/etc/passwd/x.sqlite", reason: "not a directory (ENOTDIR)" })],
    ["an unwritable folder", () => ({ path: join(unwritable(), "x.sqlite"), reason: "permission denied (EACCES)" })],
  ])("an unusable --db (%s) fails with one line naming the path and the OS reason, exit 1", async (_, where) => {
    const { path, reason } = where();
    // What creates the database says why it cannot; the others find no database there.
    for (const command of [
      ["serve", "--port", "0"],
      ["org", "add", ""],
    ]) {
      const r = await runCli([...command, "--db", path]);
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(`zulip-auth: cannot use the database file ${path}: ${reason}\n`);
    }
    for (const command of [
      ["org", "list"],
      ["user", "add", "a@example.com", "--password-stdin"],
    ]) {
      const r = await runCli([...command, "--db", path], { stdin: "Sup3r-secret-pass" });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(new RegExp(`^zulip-auth: no database at ${path.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: [^\n]+\n$`));
    }
  });
});

describe("npm start", () => {
  it("stops on SIGTERM sent to npm: the server itself gets it and exits", async () => {
    const db = join(tempDir(), "start.sqlite");
    const npm = await startProcess("npm", ["start", "--silent", "--", "--port", "0", "--db", db]);
    npm.child.kill("SIGTERM");
    const [code] = (await once(npm.child, "exit")) as [number | null];
    expect(code).toBe(0);
    await npm.waitForOutput(/"signal":"SIGTERM","msg":"stopping"/);
    // Nothing listens any more: the server did not outlive npm.
    await expect(fetch(`${npm.url}/healthz`)).rejects.toThrow();
  });
});
