import { Command, InvalidArgumentError, Option } from "commander";
import type { CheckCase } from "../checker/cases/case.ts";
import { CHECK_TIMEOUT_MS, MAX_FAILED_LOGINS } from "../checker/defaults.ts";
import { FUZZ_CHECK_IDS, FUZZ_CHECKS } from "../checker/fuzz/checks.ts";
import { CONTRACT_FILE } from "../contract/locations.ts";
import type { CheckCliOptions } from "./check-run.ts";
import { positiveWholeNumber, wholeNumber } from "./values.ts";

const list = (value: string, previous: string[] = []) => [
  ...previous,
  ...value
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean),
];
/** --failed-logins: a whole number from 1 to MAX_FAILED_LOGINS. */
function failedLogins(value: string): number {
  const n = positiveWholeNumber("failed logins")(value);
  if (n > MAX_FAILED_LOGINS)
    throw new InvalidArgumentError(`at most ${MAX_FAILED_LOGINS}: Zulip allows 5 failed logins per 30 minutes, and the run's second login needs the fifth`);
  return n;
}

/** --fuzz-seed: a whole number below 2^31 (fast-check's seeds). */
function fuzzSeed(value: string): number {
  const n = wholeNumber(value);
  if (n >= 2 ** 31) throw new InvalidArgumentError("expected a whole number below 2147483648");
  return n;
}

/** --fuzz-rate: requests per second, 0 for unpaced. */
function fuzzRate(value: string): number {
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n) || n < 0) throw new InvalidArgumentError("expected a number of requests per second (0: unpaced)");
  return n;
}

/**
 * `zulip-auth check <base-url>`: checks any Zulip server against the contract; exit codes in its --help. The
 * help lists the cases when main.ts passes them (loaded for `check` only).
 */
export function checkCommand(cases: readonly CheckCase[] = []): Command {
  return (
    new Command("check")
      .description("check a Zulip server's login API against the contract, with evidence for every violation")
      .argument("<base-url>", "the server's site URL, e.g. https://chat.example.com (the checker adds /api/v1)")
      .requiredOption("--username <username>", "the account to log in with (its email address)")
      .option("--password-stdin", "read the account's password from standard input")
      .option("--password-env <var>", "read the account's password from this environment variable")
      .option(
        "--strict",
        "also hold the server to zulip-auth's own promises (Cache-Control: no-store on keys, JSON 405s, integer Retry-After); the default checks Zulip conformance",
      )
      .option("--json", "print one JSON document (the report) instead of the readable report")
      .option("--quiet", "print only the findings and the verdict line")
      .addOption(
        new Option(
          "--failed-logins <n>",
          `failed logins the run may spend on the account, each a near-miss of the password (1 to ${MAX_FAILED_LOGINS}; Zulip allows 5 per 30 minutes)`,
        )
          .default(1)
          .argParser(failedLogins),
      )
      .option("--junit <file>", "also write the result as JUnit XML to this file")
      .option("--only <ids>", "run only these cases or fuzz checks (comma-separated ids; repeatable)", list)
      .option("--skip <ids>", "leave out these cases or fuzz checks (comma-separated ids; repeatable)", list)
      .addOption(
        new Option("--fuzz <n>", "after the cases, send at most n generated requests (shrinking included) with throwaway usernames").argParser(
          positiveWholeNumber("requests"),
        ),
      )
      .addOption(new Option("--fuzz-seed <seed>", "replay a fuzz run: the seed its report printed").argParser(fuzzSeed))
      .option("--fuzz-plan", "print what --fuzz would send per operation, phase and mutation class, and send nothing")
      .addOption(new Option("--fuzz-rate <per-second>", "fuzz requests per second (default: unpaced on loopback, 1 elsewhere; 0: unpaced)").argParser(fuzzRate))
      .addOption(
        new Option("--timeout <ms>", "longest wait for one answer, in milliseconds").default(CHECK_TIMEOUT_MS).argParser(positiveWholeNumber("milliseconds")),
      )
      .addHelpText(
        "after",
        `\nCases:\n${cases.map((c) => `  ${c.id.padEnd(38)} ${c.title}`).join("\n")}\n\n` +
          `Fuzz checks (with --fuzz):\n${FUZZ_CHECK_IDS.map((id) => `  ${id.padEnd(38)} ${FUZZ_CHECKS[id]}`).join("\n")}\n\n` +
          `Every answer is also checked against ${CONTRACT_FILE}, at the Zulip level by default (what every real Zulip 8–11\n` +
          "sends, judged by the feature level server_settings reports) or with --strict. Zulip behaviour weaker than best\n" +
          "practice is listed under Advisories and does not change the exit code.\n\n" +
          "On a real account: the first use of the password is the login; if it is refused (401) or limited (429) the run\n" +
          "stops at once. A run spends one failed attempt of the given account (a near-miss of the password; more with\n" +
          `--failed-logins, at most ${MAX_FAILED_LOGINS}: Zulip allows 5 per 30 minutes)\n` +
          'and logs in successfully at most twice: a real Zulip may email the user a "new login" notice for each.\n' +
          "Cases that need more failures use random throwaway addresses. The password is never printed.\n\n" +
          "--fuzz never sends the account's username or password: every fuzz username is a throwaway at the account's\n" +
          "domain with a random marker, sent at most 3 times; a 429 stops fuzzing (not a violation).\n\n" +
          "Exit codes: 0 conformant, 1 at least one violation, 2 bad usage, 3 the password was refused, 4 rate-limited for\n" +
          "now (the account or this address), 5 not a Zulip server, 6 the server could not be reached, 7 the URL names no\n" +
          "organization (pass an organization's URL).\n",
      )
      // The checker (Ajv, the contract loader, the cases) loads only when it runs.
      .action(async (baseUrl: string, o: CheckCliOptions) => (await import("./check-run.ts")).check(baseUrl, o))
  );
}
