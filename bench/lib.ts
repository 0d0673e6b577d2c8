import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Admin } from "../src/admin/admin.ts";
import { type HashParams, OWASP_MINIMUM, PasswordHasher } from "../src/auth/password-hasher.ts";
import { DEFAULT_PASSWORD_POLICY } from "../src/auth/password-policy.ts";
import { SERVER_NODE_FLAGS } from "../src/cli/node-flags.ts";
import { openSqliteStore } from "../src/store/sqlite.ts";

/** The repository's root (bench/..). */
export const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));

/** The benchmark's user; its password is public. */
export const BENCH_USER = { email: "bench@zulip.com", password: "bench-Correct-horse-77" };

/** A deactivated user (for the enumeration benchmark under --uniform-errors); its password is public. */
export const DEACTIVATED_USER = { email: "retired@zulip.com", password: "retired-Correct-horse-77" };

/**
 * A user whose hash was made with older, cheaper parameters (before `--argon2` was raised): a wrong password
 * for them must cost as much as anyone's (the enumeration line). Its password is public.
 */
export const OLD_HASH_USER = { email: "veteran@zulip.com", password: "veteran-Correct-horse-77" };

/** The account that floods the server in line 7, with its right password (public). */
export const FLOOD_USER = { email: "flood@zulip.com", password: "flood-Correct-horse-77" };

/** The older parameters of OLD_HASH_USER's hash: a fifth of the memory, one pass. */
export const OLD_HASH_PARAMS: HashParams = { memoryCost: 4096, timeCost: 1, parallelism: 1 };

/** The argon2id parameters every benchmark uses unless told otherwise: the server's default. */
export const BENCH_HASH_PARAMS: HashParams = OWASP_MINIMUM;

/** `m=…,t=…,p=…`, the notation of `--argon2` and of PHC strings. */
export function formatHashParams(p: HashParams): string {
  return `m=${p.memoryCost},t=${p.timeCost},p=${p.parallelism}`;
}

// Every child a benchmark starts is ended when the benchmark ends, however it ends.
const children = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of children) child.kill("SIGKILL");
});
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    for (const child of children) child.kill("SIGKILL");
    process.exit(130);
  });
}

function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once("exit", () => children.delete(child));
  return child;
}

/** A database in a fresh temporary folder holding the root organization "Bench" and the users above. */
export async function createBenchDatabase(hashParams: HashParams = BENCH_HASH_PARAMS): Promise<{ db: string; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), "zulip-auth-bench-"));
  const db = join(dir, "bench.sqlite");
  const store = await openSqliteStore(db);
  try {
    // The same parameters as the server's, or the first login would rehash and change the work measured.
    const admin = new Admin(store, new PasswordHasher(hashParams), DEFAULT_PASSWORD_POLICY);
    await admin.addOrganization("", "Bench");
    await admin.addUser("", BENCH_USER.email, BENCH_USER.password);
    await admin.addUser("", DEACTIVATED_USER.email, DEACTIVATED_USER.password);
    await admin.addUser("", FLOOD_USER.email, FLOOD_USER.password);
    await admin.setUserActive("", DEACTIVATED_USER.email, false);
    await new Admin(store, new PasswordHasher(OLD_HASH_PARAMS), DEFAULT_PASSWORD_POLICY).addUser("", OLD_HASH_USER.email, OLD_HASH_USER.password);
  } finally {
    await store.close();
  }
  return { db, dir };
}

/** A server running in its own process. */
export interface BenchServer {
  url: string;
  pid: number;
  /** Stops the process (SIGTERM, as an operator would) and removes its temporary folder. */
  stop(): Promise<void>;
}

/**
 * Starts the real `zulip-auth serve` in its own process on loopback, with BENCH_USER, fixed argon2 parameters
 * and every login limit off unless `limits` says "default" (rules (a)–(c) at serve's defaults, their counters
 * in the database, as a user runs it; (d) and (e), which cap one user's successes, stay off: the benchmark
 * logs one user in as fast as the server can), `rateLimit` sets rule (a), or `extraArgs` say otherwise. The access log
 * stays on, as in production, and goes to a file (as it would to a journal), so no other process spends CPU
 * reading it.
 */
export async function startBenchServer(
  options: { hashParams?: HashParams; limits?: "off" | "default"; rateLimit?: string; nodeArgs?: string[]; extraArgs?: string[] } = {},
): Promise<BenchServer> {
  const hashParams = options.hashParams ?? BENCH_HASH_PARAMS;
  const { db, dir } = await createBenchDatabase(hashParams);
  const logFile = join(dir, "server.log");
  const fd = openSync(logFile, "w");
  // Settings from the caller's environment would change what is measured: the command line says it all.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("ZULIP_AUTH_") && k !== "LOG_LEVEL"));
  const successesOff = ["--success-rate-limit", "off", "--address-success-rate-limit", "off"];
  const limits =
    options.limits === "default"
      ? [...(options.rateLimit ? ["--rate-limit", options.rateLimit] : []), ...successesOff]
      : ["--rate-limit", options.rateLimit ?? "off", "--address-rate-limit", "off", "--user-rate-limit", "off", ...successesOff];
  const args = ["serve", "--port", "0", "--host", "127.0.0.1", "--db", db, ...limits, "--argon2", formatHashParams(hashParams), ...(options.extraArgs ?? [])];
  // V8's flags on node's command line, as the unit starts it: the measured process is the server itself.
  const nodeArgs = [...SERVER_NODE_FLAGS, ...(options.nodeArgs ?? [])];
  const child = track(spawn(process.execPath, [...nodeArgs, join(ROOT, "dist/src/cli/bin.js"), ...args], { env, stdio: ["ignore", fd, fd] }));
  closeSync(fd);
  const url = await waitFor(
    () => /"url":"(http:\/\/[^"]+)"/.exec(readFileSync(logFile, "utf8"))?.[1],
    child,
    () => readFileSync(logFile, "utf8"),
  );
  return {
    url,
    pid: child.pid!,
    async stop() {
      await stopChild(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A long-running helper script (bench/*.ts) in its own process, once it printed its first line. */
export interface BenchChild {
  firstLine: string;
  pid: number;
  /** Everything it printed on standard output so far. */
  output(): string;
  stop(): Promise<void>;
}

/** Starts `node [nodeArgs] --import tsx bench/<script> <JSON input>` and waits for its first line of output. */
export async function startScript(script: string, input: unknown, nodeArgs: string[] = []): Promise<BenchChild> {
  const child = track(
    spawn(process.execPath, [...nodeArgs, "--import", "tsx", join(ROOT, "bench", script), JSON.stringify(input)], { stdio: ["ignore", "pipe", "pipe"] }),
  );
  let out = "";
  let err = "";
  child.stdout!.on("data", (d: Buffer) => (out += d));
  child.stderr!.on("data", (d: Buffer) => (err += d));
  const firstLine = await waitFor(
    () => (out.includes("\n") ? out.slice(0, out.indexOf("\n")) : undefined),
    child,
    () => err,
  );
  const closed = new Promise<void>((resolve) => child.once("close", () => resolve()));
  return {
    firstLine,
    pid: child.pid!,
    output: () => out,
    // Its last output is read before stop() resolves.
    stop: async () => {
      await stopChild(child);
      await closed;
    },
  };
}

/** Runs `node --import tsx bench/<script> <JSON input>` to completion and parses the JSON it prints. */
export async function runScript<T>(script: string, input: unknown): Promise<T> {
  const child = track(spawn(process.execPath, ["--import", "tsx", join(ROOT, "bench", script), JSON.stringify(input)], { stdio: ["ignore", "pipe", "pipe"] }));
  let out = "";
  let err = "";
  child.stdout!.on("data", (d: Buffer) => (out += d));
  child.stderr!.on("data", (d: Buffer) => (err += d));
  const code = await new Promise<number | null>((resolve) => child.once("close", resolve));
  if (code !== 0) throw new Error(`bench/${script} exited with ${code}:\n${err.trim()}`);
  return JSON.parse(out) as T;
}

async function waitFor<T>(probe: () => T | undefined, child: ChildProcess, output: () => string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`process exited with ${child.exitCode ?? child.signalCode}:\n${output()}`);
    if (Date.now() > deadline) throw new Error(`process did not start within ${timeoutMs} ms:\n${output()}`);
    await sleep(25);
  }
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
  await exited;
  clearTimeout(timer);
}

/** Resident set size of a process, in bytes (Linux /proc, else `ps`). */
export async function residentBytes(pid: number): Promise<number> {
  const status = `/proc/${pid}/status`;
  if (existsSync(status)) {
    const kib = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(status, "utf8"))?.[1];
    if (kib) return Number(kib) * 1024;
  }
  const child = spawn("ps", ["-o", "rss=", "-p", String(pid)], { stdio: ["ignore", "pipe", "ignore"] });
  let out = "";
  child.stdout.on("data", (d: Buffer) => (out += d));
  await new Promise((resolve) => child.once("close", resolve));
  const kib = Number(out.trim());
  if (!Number.isFinite(kib) || kib <= 0) throw new Error(`cannot read the memory of process ${pid}`);
  return kib * 1024;
}

let clockTicks: number | undefined;

/**
 * CPU time a process has used so far, all threads, in seconds; undefined where /proc is not there. Shows whether
 * the server, not the load generator, was the one at its limit.
 */
export function cpuSeconds(pid: number): number | undefined {
  const stat = `/proc/${pid}/stat`;
  if (!existsSync(stat)) return undefined;
  // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
  const text = readFileSync(stat, "utf8");
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  clockTicks ??= Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
  return (Number(fields[11]) + Number(fields[12])) / clockTicks;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The median of a list of numbers. */
export function median(values: number[]): number {
  if (values.length === 0) throw new Error("median of nothing");
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Runs `a` and `b` in `rounds` rounds, swapping which goes first each round so drift falls on both sides. */
export async function alternate<A, B>(rounds: number, a: () => Promise<A>, b: () => Promise<B>): Promise<{ a: A[]; b: B[] }> {
  const as: A[] = [];
  const bs: B[] = [];
  for (let round = 0; round < rounds; round++) {
    if (round % 2 === 0) {
      as.push(await a());
      bs.push(await b());
    } else {
      bs.push(await b());
      as.push(await a());
    }
  }
  return { a: as, b: bs };
}

/** Milliseconds one login request takes, end to end. */
export async function timeLogin(url: string, username: string, password: string): Promise<{ ms: number; status: number }> {
  const body = loginBody(username, password);
  const started = performance.now();
  const response = await fetch(`${url}/api/v1/fetch_api_key`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body });
  await response.arrayBuffer();
  return { ms: performance.now() - started, status: response.status };
}

/** The form body of a login, as clients send it. */
export function loginBody(username: string, password: string): string {
  return new URLSearchParams({ username, password }).toString();
}
