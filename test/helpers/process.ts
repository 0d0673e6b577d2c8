import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";

/** The built CLI (`npm run build`, run by `npm test` and vitest's global setup): tests spawn what users run. */
export const BIN = fileURLToPath(new URL("../../dist/src/cli/bin.js", import.meta.url));

/** The outcome of a finished CLI run. */
export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `zulip-auth …` as a real process, with optional standard input. */
export async function runCli(args: string[], options: { stdin?: string; env?: Record<string, string | undefined>; cwd?: string } = {}): Promise<CliResult> {
  return runProcess(process.execPath, [BIN, ...args], options);
}

/** Runs any program as a real process to its end, with optional standard input. */
export async function runProcess(
  file: string,
  args: string[],
  options: { stdin?: string; env?: Record<string, string | undefined>; cwd?: string } = {},
): Promise<CliResult> {
  const child = spawn(file, args, { env: { ...process.env, ...options.env }, stdio: ["pipe", "pipe", "pipe"], ...(options.cwd ? { cwd: options.cwd } : {}) });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => (stdout += d));
  child.stderr.on("data", (d) => (stderr += d));
  child.stdin.end(options.stdin ?? "");
  const [code] = (await once(child, "close")) as [number | null];
  return { code, stdout, stderr };
}

/** A server started as a real process; `url` is read from its "listening" log line. */
export interface ServerProcess {
  child: ChildProcess;
  url: string;
  output: () => string;
  /**
   * Waits until the output from `since` on (a length of output() read earlier) matches: the server may print
   * after it starts listening. No deadline of its own: a line that never comes fails at vitest's timeout.
   */
  waitForOutput(pattern: RegExp, since?: number): Promise<RegExpExecArray>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts `zulip-auth <args>` (serve or demo, with --port 0) and waits until it listens. */
export async function startServerProcess(args: string[], env: Record<string, string> = {}): Promise<ServerProcess> {
  return startProcess(process.execPath, [BIN, ...args], { env });
}

/**
 * Starts any command that runs the server (the built CLI, `npm start`, the installed bin…) and waits until it
 * listens. The wait has no deadline of its own: a server that never starts fails the test at vitest's timeout.
 */
export async function startProcess(
  file: string,
  args: string[],
  options: { env?: Record<string, string | undefined>; cwd?: string; detached?: boolean } = {},
): Promise<ServerProcess> {
  const child = spawn(file, args, {
    env: { ...process.env, ...options.env },
    stdio: ["ignore", "pipe", "pipe"],
    detached: options.detached === true,
    ...(options.cwd ? { cwd: options.cwd } : {}),
  });
  let output = "";
  /** Called on every chunk of output (waitForOutput's waiters). */
  const listeners = new Set<() => void>();
  const append = (d: Buffer) => {
    output += d;
    for (const listener of listeners) listener();
  };
  // 'exit' can come before the last of the output has been read: stop() waits for the pipes to close too.
  const closed = new Promise<void>((resolve) => child.once("close", () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.on("data", append);
    child.stderr!.on("data", append);
    const onData = () => {
      const m = /"url":"(http:\/\/[^"]+)"/.exec(output);
      if (m) {
        listeners.delete(onData);
        resolve(m[1]!);
      }
    };
    listeners.add(onData);
    child.once("exit", (code) => reject(new Error(`server exited with ${code}:\n${output}`)));
  });
  return {
    child,
    url,
    output: () => output,
    waitForOutput(pattern, since = 0) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const m = pattern.exec(output.slice(since));
          if (!m) return false;
          listeners.delete(check);
          resolve(m);
          return true;
        };
        const ended = () => {
          if (!check()) reject(new Error(`the process ended without ${pattern} in its output:\n${output}`));
        };
        if (check()) return;
        listeners.add(check);
        void closed.then(ended);
      });
    },
    async stop(signal = "SIGTERM") {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill(signal);
      const [code] = (await once(child, "exit")) as [number | null];
      // The pipes close once every process holding them is gone: a server left behind by a wrapper (npm, npx,
      // the re-run with V8's flags) keeps this waiting, and the test fails at its timeout.
      await closed;
      return code;
    },
  };
}
