import { writeFileSync } from "node:fs";
import { Command, InvalidArgumentError, Option } from "commander";
import {
  CASES,
  checkServer,
  CheckOptionsError,
  DEFAULT_TIMEOUT_MS,
  exitCodeOf,
  formatCase,
  formatFooter,
  formatHeader,
  formatJunit,
  type ProgressEvent,
} from "../checker/index.ts";
import { CONTRACT_FILE } from "../contract/spec.ts";
import { CommandExit } from "./exit.ts";
import { readPassword } from "./password-input.ts";

interface CheckCliOptions {
  username: string;
  passwordStdin?: boolean;
  passwordEnv?: string;
  json?: boolean;
  junit?: string;
  only?: string[];
  skip?: string[];
  timeout: number;
  strict?: boolean;
}

const list = (value: string, previous: string[] = []) => [...previous, ...value.split(",").map((s) => s.trim()).filter(Boolean)];
const positiveInt = (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError("expected a whole number of milliseconds above 0");
  return n;
};

/** `zulip-auth check <base-url>`: checks any Zulip server against the contract; exit codes in its --help. */
export function checkCommand(): Command {
  return new Command("check")
    .description("check a Zulip server's login API against the contract, with evidence for every violation")
    .argument("<base-url>", "the server's site URL, e.g. https://chat.example.com (the checker adds /api/v1)")
    .requiredOption("--username <username>", "the account to log in with (its email address)")
    .option("--password-stdin", "read the account's password from standard input")
    .option("--password-env <var>", "read the account's password from this environment variable")
    .option("--strict", "also hold the server to zulip-auth's own promises (Cache-Control: no-store on keys, JSON 405s, integer Retry-After); the default checks Zulip conformance")
    .option("--json", "print one JSON document (the report) instead of the readable report")
    .option("--junit <file>", "also write the result as JUnit XML to this file")
    .option("--only <ids>", "run only these cases (comma-separated ids; repeatable)", list)
    .option("--skip <ids>", "leave out these cases (comma-separated ids; repeatable)", list)
    .addOption(new Option("--timeout <ms>", "longest wait for one answer, in milliseconds").default(DEFAULT_TIMEOUT_MS).argParser(positiveInt))
    .addHelpText(
      "after",
      `\nCases:\n${CASES.map((c) => `  ${c.id.padEnd(38)} ${c.title}`).join("\n")}\n\n` +
        `Every answer is also checked against ${CONTRACT_FILE}, at the Zulip level by default (what every real Zulip 8–11\n` +
        "sends, judged by the feature level server_settings reports) or with --strict. Zulip behaviour weaker than best\n" +
        "practice is listed under Advisories and does not change the exit code.\n\n" +
        "On a real account: the first use of the password is the login; if it is refused (401) or limited (429) the run\n" +
        "stops at once. A run spends at most one failed attempt of the given account (Zulip allows 5 per 30 minutes)\n" +
        "and logs in successfully at most twice: a real Zulip may email the user a \"new login\" notice for each.\n" +
        "Cases that need more failures use random throwaway addresses. The password is never printed.\n\n" +
        "Exit codes: 0 conformant, 1 at least one violation, 2 bad usage or server unreachable, 3 the password was\n" +
        "refused, 4 the account is rate-limited for now, 5 not a Zulip server.\n",
    )
    .action(async (baseUrl: string, o: CheckCliOptions) => {
      const password = await passwordFrom(o);
      const progress = progressPrinter(o.json === true);
      let report;
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
    });
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
