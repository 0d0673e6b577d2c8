import { writeFileSync } from "node:fs";
import {
  type CheckOptions,
  type CheckReport,
  checkServer,
  exitCodeOf,
  formatCase,
  formatFooter,
  formatHeader,
  formatJunit,
  formatQuiet,
  type ProgressEvent,
} from "../checker/index.ts";
import { readPassword } from "./password-input.ts";
import { UserError } from "./user-error.ts";

/** What commander parsed for `check`. */
export interface CheckCliOptions {
  username: string;
  passwordStdin?: boolean;
  passwordEnv?: string;
  json?: boolean;
  quiet?: boolean;
  failedLogins: number;
  junit?: string;
  only?: string[];
  skip?: string[];
  timeout: number;
  strict?: boolean;
  fuzz?: number;
  fuzzSeed?: number;
  fuzzPlan?: boolean;
  fuzzRate?: number;
}

// What `check` runs: loaded by its action only.

/** Runs the checker and prints its report; throws a UserError with the exit code. */
export async function check(baseUrl: string, o: CheckCliOptions): Promise<void> {
  const password = await passwordFrom(o);
  const progress = progressPrinter(o.json ? "json" : o.quiet ? "quiet" : "human");
  let report: CheckReport;
  try {
    report = await checkServer({
      baseUrl,
      username: o.username,
      password,
      timeoutMs: o.timeout,
      strict: o.strict === true,
      failedLogins: o.failedLogins,
      ...(o.only ? { only: o.only } : {}),
      ...(o.skip ? { skip: o.skip } : {}),
      ...fuzzOptions(o),
      onProgress: progress.event,
    });
  } finally {
    progress.done();
  }
  if (o.json) process.stdout.write(JSON.stringify(report, null, 2) + "\n");
  else process.stdout.write(o.quiet ? formatQuiet(report) : formatFooter(report));
  if (o.junit) {
    try {
      writeFileSync(o.junit, formatJunit(report));
    } catch (error) {
      throw new UserError(`cannot write the JUnit file: ${(error as Error).message}`, 2);
    }
  }
  const code = exitCodeOf(report);
  // The report already said why (on stdout, or in the JSON document): nothing more on stderr.
  if (code !== 0) throw new UserError("", code);
}

/** checkServer's fuzz options from --fuzz and its siblings, which make sense only with it. */
function fuzzOptions(o: CheckCliOptions): Pick<CheckOptions, "fuzz"> {
  if (o.fuzz === undefined) {
    if (o.fuzzSeed !== undefined || o.fuzzPlan || o.fuzzRate !== undefined) throw new UserError("--fuzz-seed, --fuzz-plan and --fuzz-rate go with --fuzz N", 2);
    return {};
  }
  return {
    fuzz: {
      budget: o.fuzz,
      ...(o.fuzzSeed === undefined ? {} : { seed: o.fuzzSeed }),
      ...(o.fuzzPlan ? { plan: true } : {}),
      ...(o.fuzzRate === undefined ? {} : { rate: o.fuzzRate }),
    },
  };
}

async function passwordFrom(o: CheckCliOptions): Promise<string> {
  if (o.passwordStdin && o.passwordEnv) throw new UserError("give the password one way: --password-stdin or --password-env, not both", 2);
  if (o.passwordEnv) {
    const value = process.env[o.passwordEnv];
    if (value === undefined || value === "") throw new UserError(`the environment variable ${o.passwordEnv} is not set or empty`, 2);
    return value;
  }
  if (o.passwordStdin) {
    const value = await readPassword(true);
    if (value === "") throw new UserError("standard input held no password", 2);
    return value;
  }
  throw new UserError("give the account's password with --password-stdin or --password-env VAR (never as an argument)", 2);
}

/**
 * The readable report streams to stdout one case at a time; on a terminal a transient line on stderr shows
 * the request under way. With --json, stdout holds only the document and progress goes to stderr; with --quiet,
 * stdout holds only the findings and the verdict.
 */
function progressPrinter(mode: "human" | "json" | "quiet"): { event: (e: ProgressEvent) => void; done: () => void } {
  const tty = process.stderr.isTTY === true;
  let transient = false;
  const clear = () => {
    if (transient) process.stderr.write("\r\x1b[K");
    transient = false;
  };
  return {
    event(e) {
      if (e.type === "request" && tty && mode !== "quiet") {
        clear();
        const line = `  … ${e.caseId}: ${e.method} ${e.path}${e.label ? ` (${e.label})` : ""}`;
        process.stderr.write(line.slice(0, (process.stderr.columns || 100) - 1));
        transient = true;
      }
      if (e.type === "case-end") {
        clear();
        if (mode === "json") process.stderr.write(`[${e.index}/${e.total}] ${e.result.outcome.padEnd(11)} ${e.result.id}\n`);
        else if (mode === "human") process.stdout.write(formatCase(e.result));
      }
      if (e.type === "start" && mode === "human") process.stdout.write(formatHeader(e.target, e.contract, e.judgedAgainst));
    },
    done: clear,
  };
}
