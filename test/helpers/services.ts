import { type ExecFileOptions, execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, chownSync, closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, statSync, watch, writeFileSync } from "node:fs";
import { type AddressInfo, connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { seedLdif, slapdConf } from "./directory.ts";

// Real PostgreSQL, Redis and OpenLDAP servers in folders of their own, on loopback ports: started by
// scripts/services.ts for a test run (and by .ci/run), and by the outage tests for private instances they
// can stop and restart. No vitest in here.

const run = promisify(execFile);

/** A running service that can be stopped and started again on the same port with the same data. */
export interface Service {
  /** Connection URL, credentials included. */
  url: string;
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Freezes (SIGSTOP) and thaws (SIGCONT) its processes: it keeps its connections but answers nothing. */
  pause(): Promise<void>;
  resume(): Promise<void>;
}

/** Debian puts PostgreSQL's programs under /usr/lib/postgresql/<major>/bin, outside PATH. */
export function postgresBin(): string | undefined {
  const root = "/usr/lib/postgresql";
  if (!existsSync(root)) return undefined;
  const majors = readdirSync(root)
    .filter((v) => existsSync(join(root, v, "bin", "initdb")))
    .sort((a, b) => Number(b) - Number(a));
  return majors[0] === undefined ? undefined : join(root, majors[0], "bin");
}

const onPath = (name: string, dirs = (process.env.PATH ?? "").split(":").concat("/usr/sbin", "/sbin")) =>
  dirs.map((d) => join(d, name)).find((p) => existsSync(p));

/** Why a service cannot be started here, or undefined when its programs are installed. */
export function missingProgram(service: "postgres" | "redis" | "ldap"): string | undefined {
  if (service === "postgres") return postgresBin() ? undefined : "PostgreSQL is not installed (apt-get install postgresql, as .ci/run does)";
  if (service === "redis") return onPath("redis-server") ? undefined : "Redis is not installed (apt-get install redis-server, as .ci/run does)";
  return onPath("slapd") && onPath("slapadd") ? undefined : "OpenLDAP's slapd is not installed (apt-get install slapd ldap-utils, as .ci/run does)";
}

/** A TCP port free right now on 127.0.0.1. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Whether something accepts connections on the port right now. */
function accepts(port: number): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => (socket.destroy(), resolve(true)));
    socket.once("error", () => resolve(false));
  });
}

/** Fails unless the port is open (or, with `open: false`, closed): after a wait that says it must be. */
async function expectPort(port: number, open: boolean): Promise<void> {
  if ((await accepts(port)) !== open) throw new Error(`port ${port} is ${open ? "closed" : "still open"}`);
}

/**
 * Resolves once `check` holds for the folder's files: asked now, then on each change in the folder (no
 * polling). A daemon is not a child of the test, so its files are how it tells what it did.
 */
function untilFolder(dir: string, check: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    const watcher = watch(dir, () => {
      if (check()) watcher.close(), resolve();
    });
    if (check()) watcher.close(), resolve();
  });
}

/**
 * A connection to the daemon on `port`, held open: `closed` resolves when the daemon's end of it closes, which
 * its exit does (undefined when nothing listens).
 */
function holdConnection(port: number): Promise<{ closed: Promise<void> } | undefined> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => resolve({ closed: new Promise<void>((closed) => socket.once("close", () => closed())) }));
    socket.on("error", () => resolve(undefined));
    socket.resume();
  });
}

const secret = () => randomBytes(12).toString("hex");

/** The process and its descendants, read from /proc. */
function processTree(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // Fields after the command name (which may hold spaces) start after the last ")".
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // The process ended while we looked.
    }
  }
  const tree = [pid];
  for (let i = 0; i < tree.length; i++) tree.push(...(children.get(tree[i]!) ?? []));
  return tree;
}

const signalTree = (pid: number, signal: NodeJS.Signals) => {
  for (const p of processTree(pid)) {
    try {
      process.kill(p, signal);
    } catch {
      // Gone already.
    }
  }
};

const readPid = (file: string) => (existsSync(file) ? Number(readFileSync(file, "utf8").trim().split("\n")[0]) : undefined);

/**
 * Stops a daemon and resolves once it is gone: its pid file removed (Redis and slapd remove it as they stop)
 * and a connection held to it closed by its exit, after it closed the port that a restart binds again.
 */
async function killAndWait(pidFile: string, port: number): Promise<void> {
  const pid = readPid(pidFile);
  const held = await holdConnection(port);
  let running = pid !== undefined;
  if (pid !== undefined) {
    try {
      process.kill(pid, "SIGCONT");
      process.kill(pid, "SIGTERM");
    } catch {
      running = false; // a pid file left by a daemon that is no longer running
    }
  }
  await Promise.all([held?.closed, running ? untilFolder(dirname(pidFile), () => !existsSync(pidFile)) : undefined]);
  await expectPort(port, false);
}

// --- PostgreSQL ------------------------------------------------------------------------------------------

/** The OS user PostgreSQL runs as: itself, unless that is root (which initdb refuses): then Debian's postgres. */
function postgresUser(): { uid: number; gid: number; name: string } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const line = readFileSync("/etc/passwd", "utf8")
    .split("\n")
    .find((l) => l.startsWith("postgres:"));
  if (!line) throw new Error("running as root and there is no postgres user to run PostgreSQL as (apt-get install postgresql creates it)");
  const [, , uid, gid] = line.split(":");
  return { uid: Number(uid), gid: Number(gid), name: "postgres" };
}

async function asPostgres(program: string, args: string[], options: ExecFileOptions = {}) {
  const user = postgresUser();
  const bin = join(postgresBin()!, program);
  return user ? run("runuser", ["-u", user.name, "--", bin, ...args], options) : run(bin, args, options);
}

/** The layout of a PostgreSQL service folder. */
const pgPaths = (dir: string) => ({ data: join(dir, "data"), log: join(dir, "postgres.log"), port: join(dir, "port") });

/** initdb a cluster (password authentication, C.UTF-8, durability off for speed) and start it on a free port. */
export async function startPostgres(dir: string): Promise<Service> {
  const paths = pgPaths(dir);
  mkdirSync(dir, { recursive: true });
  const user = postgresUser();
  const password = secret();
  const pwfile = join(dir, "pwfile");
  writeFileSync(pwfile, password + "\n", { mode: 0o600 });
  if (user) {
    for (const p of [dir, pwfile]) chownSync(p, user.uid, user.gid);
    // mkdtemp folders are 0700: let the postgres user pass through the ones between the temp folder and ours.
    for (let parent = dirname(dir); parent.startsWith(tmpdir() + "/"); parent = dirname(parent)) {
      chmodSync(parent, statSync(parent).mode | 0o001);
    }
  }
  await asPostgres("initdb", [
    "-D",
    paths.data,
    "-U",
    "zulip_auth",
    `--pwfile=${pwfile}`,
    "--auth=scram-sha-256",
    "--encoding=UTF8",
    "--locale=C.UTF-8",
    "--no-sync",
    "--no-instructions",
  ]);
  rmSync(pwfile);
  const port = await freePort();
  writeFileSync(paths.port, String(port));
  const service = postgresService(dir, port, `postgres://zulip_auth:${password}@127.0.0.1:${port}/postgres`);
  await service.start();
  return service;
}

function postgresService(dir: string, port: number, url: string): Service {
  const paths = pgPaths(dir);
  const postmasterPid = () => readPid(join(paths.data, "postmaster.pid"));
  return {
    url,
    async start() {
      const options = `-c listen_addresses=127.0.0.1 -c port=${port} -c unix_socket_directories=${dir} -c fsync=off -c full_page_writes=off -c synchronous_commit=off -c max_connections=300`;
      await asPostgres("pg_ctl", ["-D", paths.data, "-l", paths.log, "-w", "-t", "60", "-o", options, "start"]);
    },
    async stop() {
      const pid = postmasterPid();
      if (pid !== undefined) signalTree(pid, "SIGCONT");
      // -w: pg_ctl returns once the server has exited.
      await asPostgres("pg_ctl", ["-D", paths.data, "-m", "immediate", "-w", "stop"]).catch(() => {});
      await expectPort(port, false);
    },
    async pause() {
      signalTree(postmasterPid()!, "SIGSTOP");
    },
    async resume() {
      signalTree(postmasterPid()!, "SIGCONT");
    },
  };
}

// --- Redis -----------------------------------------------------------------------------------------------

/** A Redis with a password, no persistence, on a free port. */
export async function startRedis(dir: string): Promise<Service> {
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const password = secret();
  const pidFile = join(dir, "redis.pid");
  const args = [
    "--port",
    String(port),
    "--bind",
    "127.0.0.1",
    "--save",
    "",
    "--appendonly",
    "no",
    "--daemonize",
    "yes",
    "--pidfile",
    pidFile,
    "--logfile",
    join(dir, "redis.log"),
    "--dir",
    dir,
    "--requirepass",
    password,
  ];
  writeFileSync(join(dir, "port"), String(port));
  const log = join(dir, "redis.log");
  const launch = async () => {
    // Daemonized, redis-server returns before it listens: it says when it does in its log (after what a
    // previous start wrote there).
    const from = existsSync(log) ? statSync(log).size : 0;
    await run("redis-server", args);
    await untilFolder(dir, () => existsSync(log) && readFileSync(log).subarray(from).includes("Ready to accept connections"));
  };
  return startDaemon(`redis://:${password}@127.0.0.1:${port}`, port, pidFile, launch);
}

// --- OpenLDAP --------------------------------------------------------------------------------------------

/** slapd with an mdb database seeded with the test directory (test/helpers/directory.ts). */
export async function startDirectory(dir: string): Promise<Service> {
  mkdirSync(join(dir, "data"), { recursive: true });
  const conf = join(dir, "slapd.conf");
  writeFileSync(conf, slapdConf(dir, secret()), { mode: 0o600 });
  writeFileSync(join(dir, "seed.ldif"), seedLdif());
  await run("slapadd", ["-f", conf, "-l", join(dir, "seed.ldif")]);
  const port = await freePort();
  writeFileSync(join(dir, "port"), String(port));
  const pidFile = join(dir, "slapd.pid");
  const log = join(dir, "slapd.log");
  const launch = async () => {
    // In the foreground (-d) so that it logs, detached so that it outlives the test run's start script. With
    // the connections logged, it says when it has added its listener once listening (after what a previous
    // start wrote there); its "slapd starting" comes before it listens.
    const from = existsSync(log) ? statSync(log).size : 0;
    const out = openSync(log, "a");
    spawn("slapd", ["-d", "conns", "-h", `ldap://127.0.0.1:${port}/`, "-f", conf], { detached: true, stdio: ["ignore", out, out] }).unref();
    closeSync(out);
    await untilFolder(dir, () => /daemon: added \d+r listener=0x/.test(readFileSync(log).subarray(from).toString()));
  };
  return startDaemon(`ldap://127.0.0.1:${port}`, port, pidFile, launch);
}

/**
 * A daemon that writes its pid file and listens on `port`: started now (`launch` resolves once it listens),
 * stopped, frozen and thawed by pid.
 */
async function startDaemon(url: string, port: number, pidFile: string, launch: () => Promise<unknown>): Promise<Service> {
  const service: Service = {
    url,
    async start() {
      await launch();
      await expectPort(port, true);
    },
    stop: () => killAndWait(pidFile, port),
    async pause() {
      process.kill(readPid(pidFile)!, "SIGSTOP");
    },
    async resume() {
      process.kill(readPid(pidFile)!, "SIGCONT");
    },
  };
  await service.start();
  return service;
}

/** Stops whatever of the three runs from a folder made by the functions above (for scripts/services.ts stop). */
export async function stopServicesIn(dir: string): Promise<void> {
  const pg = pgPaths(join(dir, "postgres"));
  if (existsSync(join(pg.data, "postmaster.pid"))) {
    await asPostgres("pg_ctl", ["-D", pg.data, "-m", "fast", "-w", "stop"]).catch(() => {});
  }
  for (const [name, pidName] of [
    ["redis", "redis.pid"],
    ["directory", "slapd.pid"],
  ] as const) {
    const portFile = join(dir, name, "port");
    if (existsSync(portFile)) await killAndWait(join(dir, name, pidName), Number(readFileSync(portFile, "utf8")));
  }
}
