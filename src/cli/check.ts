import { Command, InvalidArgumentError, Option } from "commander";
import type { CheckCase } from "../checker/cases/case.ts";
import { DEFAULT_TIMEOUT_MS } from "../checker/defaults.ts";
import { CONTRACT_FILE } from "../contract/contract-file.ts";

/** What commander parsed for `check`. */
export interface CheckCliOptions {
  username: string;
  passwordStdin?: boolean;
  passwordEnv?: string;
  json?: boolean;
  junit?: string;
  only?: string[];
  skip?: string[];
  timeout: number;
}

const list = (value: string, previous: string[] = []) => [...previous, ...value.split(",").map((s) => s.trim()).filter(Boolean)];
const positiveInt = (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError("expected a whole number of milliseconds above 0");
  return n;
};

/**
 * `zulip-auth check <base-url>`: checks any Zulip server against the contract. Exit 0 conformant, 1 violations,
 * 2 usage or unreachable. The help lists the cases when main.ts passes them (loaded for `check` only).
 */
export function checkCommand(cases: readonly CheckCase[] = []): Command {
  return new Command("check")
    .description("check a Zulip server's login API against the contract, with evidence for every violation")
    .argument("<base-url>", "the server's site URL, e.g. https://chat.example.com (the checker adds /api/v1)")
    .requiredOption("--username <username>", "the account to log in with (its email address)")
    .option("--password-stdin", "read the account's password from standard input")
    .option("--password-env <var>", "read the account's password from this environment variable")
    .option("--json", "print one JSON document (the report) instead of the readable report")
    .option("--junit <file>", "also write the result as JUnit XML to this file")
    .option("--only <ids>", "run only these cases (comma-separated ids; repeatable)", list)
    .option("--skip <ids>", "leave out these cases (comma-separated ids; repeatable)", list)
    .addOption(new Option("--timeout <ms>", "longest wait for one answer, in milliseconds").default(DEFAULT_TIMEOUT_MS).argParser(positiveInt))
    .addHelpText(
      "after",
      `\nCases:\n${cases.map((c) => `  ${c.id.padEnd(38)} ${c.title}`).join("\n")}\n\n` +
        `Every answer is also checked against ${CONTRACT_FILE}. The password is never printed: repro commands write <password>.\n` +
        "The rate-limit case spends 6 failed logins of a random throwaway address, never of the given account.\n" +
        "Exit codes: 0 conformant, 1 at least one violation, 2 bad usage or server unreachable.\n",
    )
    // The checker (Ajv, the contract loader, the cases) loads only when it runs.
    .action(async (baseUrl: string, o: CheckCliOptions) => (await import("./check-run.ts")).check(baseUrl, o));
}
