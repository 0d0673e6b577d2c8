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
 * scripts pass them to node, and `serve` or `demo` started without them starts itself again with the ones missing.
 */
export const SERVER_NODE_FLAGS = ["--max-semi-space-size=4", "--heap-growing-percent=20"] as const;

/**
 * The SERVER_NODE_FLAGS node was not given, on its command line (`execArgv`) or in NODE_OPTIONS, in any spelling
 * (`--max_semi_space_size=16` is `--max-semi-space-size`): an operator's own value wins, as V8 keeps the last one
 * given. None with `--optimize-for-size`, the memory choice of earlier versions' units: that operator chose.
 */
export function missingServerFlags(execArgv: readonly string[], nodeOptions = ""): string[] {
  const given = new Set([...execArgv, ...nodeOptions.split(/\s+/)].map(flagName));
  if (given.has(flagName("--optimize-for-size"))) return [];
  return SERVER_NODE_FLAGS.filter((flag) => !given.has(flagName(flag)));
}

/** A V8 flag's name as V8 reads it: leading dashes, `_` and `-` alike, any `=value` left out. */
function flagName(arg: string): string {
  const equals = arg.indexOf("=");
  return (equals < 0 ? arg : arg.slice(0, equals)).replace(/^-+/, "").replaceAll("_", "-");
}

/** The signals a relaunching process passes on to the server it started. */
const FORWARDED: NodeJS.Signals[] = ["SIGTERM", "SIGINT", "SIGHUP"];

/**
 * Runs this same command again in a child node with the SERVER_NODE_FLAGS it lacks (missingServerFlags), unless none
 * (then returns at once, and the caller runs the server). The child shares the terminal and the pipes; the
 * signals above are passed on to it; its end is this process's end (its exit code, or 128 + its signal's
 * number). The child stops as on SIGTERM if this process dies without passing one on (SIGKILL): see
 * stopWhenParentGoes.
 */
export async function relaunchWithServerFlags(): Promise<void> {
  const missing = missingServerFlags(process.execArgv, process.env.NODE_OPTIONS);
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
