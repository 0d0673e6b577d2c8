import { writeFileSync } from "node:fs";
import {
  checkServer,
  CheckOptionsError,
  exitCodeOf,
  formatCase,
  formatFooter,
  formatHeader,
  formatJunit,
  type CheckReport,
  type ProgressEvent,
} from "../checker/index.ts";
import type { CheckCliOptions } from "./check.ts";
import { CommandExit } from "./exit.ts";
import { readPassword } from "./password-input.ts";

// What `check` runs: loaded by its action only.

/** Runs the checker and prints its report; throws CommandExit with the exit code. */
export async function check(baseUrl: string, o: CheckCliOptions): Promise<void> {
  const password = await passwordFrom(o);
  const progress = progressPrinter(o.json === true);
  let report: CheckReport;
  try {
    report = await checkServer({
      baseUrl,
      username: o.username,
      password,
      timeoutMs: o.timeout,
      strict: o.strict === true,
      ...(o.only ? { only: o.only } : {}),
      ...(o.skip ? { skip: o.skip } : {}),
      onProgress: progress.event,
    });
  } catch (error) {
    if (error instanceof CheckOptionsError) throw new CommandExit(2, error.message);
    throw error;
  } finally {
    progress.done();
  }
  if (o.json) process.stdout.write(JSON.stringify(report, null, 2) + "\n");
  else process.stdout.write(formatFooter(report));
  if (o.junit) {
    try {
      writeFileSync(o.junit, formatJunit(report));
    } catch (error) {
      throw new CommandExit(2, `cannot write the JUnit file: ${(error as Error).message}`);
    }
  }
  const code = exitCodeOf(report);
  if (code !== 0) throw new CommandExit(code, report.status === "unreachable" ? `cannot reach the server: ${report.unreachable}` : "");
}

async function passwordFrom(o: CheckCliOptions): Promise<string> {
  if (o.passwordStdin && o.passwordEnv) throw new CommandExit(2, "give the password one way: --password-stdin or --password-env, not both");
  if (o.passwordEnv) {
    const value = process.env[o.passwordEnv];
    if (value === undefined || value === "") throw new CommandExit(2, `the environment variable ${o.passwordEnv} is not set or empty`);
    return value;
  }
  if (o.passwordStdin) {
    const value = await readPassword(true);
    if (value === "") throw new CommandExit(2, "standard input held no password");
    return value;
  }
  throw new CommandExit(2, "give the account's password with --password-stdin or --password-env VAR (never as an argument)");
}

/**
 * The readable report streams to stdout one case at a time; on a terminal a transient line on stderr shows
 * the request under way. With --json, stdout holds only the document and progress goes to stderr.
 */
function progressPrinter(json: boolean): { event: (e: ProgressEvent) => void; done: () => void } {
  const tty = process.stderr.isTTY === true;
  let transient = false;
  const clear = () => {
    if (transient) process.stderr.write("\r\x1b[K");
    transient = false;
  };
  return {
    event(e) {
      if (e.type === "request" && tty) {
        clear();
        const line = `  … ${e.caseId}: ${e.method} ${e.path}${e.label ? ` (${e.label})` : ""}`;
        process.stderr.write(line.slice(0, (process.stderr.columns || 100) - 1));
        transient = true;
      }
      if (e.type === "case-end") {
        clear();
        if (json) process.stderr.write(`[${e.index}/${e.total}] ${e.result.outcome.padEnd(11)} ${e.result.id}\n`);
        else process.stdout.write(formatCase(e.result));
      }
      if (e.type === "start" && !json) process.stdout.write(formatHeader(e.target, e.contract, e.judgedAgainst));
    },
    done: clear,
  };
}
