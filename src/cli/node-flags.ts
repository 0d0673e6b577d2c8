import { spawn } from "node:child_process";
import { constants } from "node:os";
import { UserError } from "./user-error.ts";

/**
 * The V8 flags of a long-running server process. By default V8 let the old generation grow to three or four
 * times what was live between full collections, and the young one to 32 MB (100 000 mixed requests left
 * ~175–200 MB resident for ~27 MB of live heap): the old generation grows by a fifth at most, and the young one
 * to 8 MB, which leaves ~110 MB (bench/README.md, line 5). `--optimize-for-size` held memory as low but kept
 * the young generation at 2 MB: eight times the collections, ~6 µs of CPU per server_settings answer (a
 * third of it), and more per login. Node supports V8 flags on its command line only
 * (v8.setFlagsFromString after start is documented as unsupported), so the unit's ExecStart and the npm
 * scripts pass them to node, and `serve` or `demo` started without them starts itself again with them.
 */
export const SERVER_NODE_FLAGS = ["--max-semi-space-size=4", "--heap-growing-percent=20"] as const;

/** The signals a relaunching process passes on to the server it started. */
const FORWARDED: NodeJS.Signals[] = ["SIGTERM", "SIGINT", "SIGHUP"];

/**
 * Runs this same command again in a child node with SERVER_NODE_FLAGS, unless this process has them already
 * (then returns at once, and the caller runs the server). The child shares the terminal and the pipes; the
 * signals above are passed on to it; its end is this process's end (its exit code, or 128 + its signal's
 * number). The child stops as on SIGTERM if this process dies without passing one on (SIGKILL): see
 * stopWhenParentGoes.
 */
export async function relaunchWithServerFlags(): Promise<void> {
  const missing = SERVER_NODE_FLAGS.filter((flag) => !process.execArgv.includes(flag));
  if (missing.length === 0) return;
  const child = spawn(process.execPath, [...process.execArgv, ...missing, ...process.argv.slice(1)], { stdio: ["inherit", "inherit", "inherit", "ipc"] });
  for (const signal of FORWARDED) process.on(signal, () => child.kill(signal));
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (c, s) => resolve([c, s]));
  });
  // An empty message: the child has said whatever there was to say.
  throw new UserError("", code ?? 128 + (signal ? (constants.signals[signal] ?? 0) : 0));
}

/** In a relaunched server, calls `stop` when the process that started it goes away (its IPC channel closes). */
export function stopWhenParentGoes(stop: () => void): void {
  if (!process.channel) return;
  process.once("disconnect", stop);
  // The channel must not keep the server's event loop alive on its own, nor delay its exit.
  process.channel.unref();
}
