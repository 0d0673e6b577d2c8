import { Command, CommanderError } from "commander";
import type { CheckCase } from "../checker/cases/case.ts";
import { auditCommand } from "./audit.ts";
import { checkCommand } from "./check.ts";
import { configFileOf, type LoadedFile, loadConfigFile, namingTheFile } from "./config-file.ts";
import { limitsCommand } from "./limits.ts";
import { loginCommand } from "./login.ts";
import { CONFIG } from "./options.ts";
import { orgCommand } from "./org.ts";
import { demoCommand, serveCommand } from "./serve.ts";
import { ALL_SETTINGS } from "./serve-options.ts";
import { environmentNames, optionOf } from "./setting.ts";
import { userCommand } from "./user.ts";
import { exitCode } from "./user-error.ts";

// Only command definitions are imported here: each action imports what it runs, so `--help`, `--version` and
// a command's own start-up load nothing they do not use.

/** The `zulip-auth` program. Exit codes: 0 done, 1 failed (one line on stderr), 2 bad usage. */
export function buildProgram(cases: readonly CheckCase[] = [], settingsFile?: LoadedFile): Command {
  const program = new Command("zulip-auth")
    .description("Zulip's password login API: server, client and conformance checker from one OpenAPI contract")
    .version("0.1.0")
    .exitOverride();
  for (const command of [serveCommand(), demoCommand(), orgCommand(), userCommand(), limitsCommand(), auditCommand(), loginCommand(), checkCommand(cases)])
    program.addCommand(command);
  // A usage error prints commander's one error line and a pointer to the command's help, not the whole help.
  // Sub-commands inherit neither exitOverride nor this setting: apply them everywhere.
  const configure = (c: Command, path: string) => {
    c.exitOverride().showHelpAfterError(`Try '${path} --help'`);
    if (settingsFile) c.configureOutput({ outputError: (line, write) => write(namingTheFile(line, settingsFile)) });
    // Read before commander parses (configFileOf): declared on every command so that it is accepted and listed.
    c.addOption(optionOf(CONFIG));
    requiredAfterUnknown(c);
    for (const sub of c.commands) configure(sub, `${path} ${sub.name()}`);
  };
  configure(program, "zulip-auth");
  return program;
}

/**
 * Checks `c`'s required options once its unknown options were: commander checks required ones first, so a typo
 * (`login --usernme x`) was reported as the required option missing instead of as unknown, with "Did you mean".
 * The error is commander's own line.
 */
function requiredAfterUnknown(c: Command): void {
  const required = c.options.filter((option) => option.mandatory);
  if (required.length === 0) return;
  for (const option of required) option.mandatory = false;
  c.hook("preAction", (self) => {
    for (const option of required)
      if (self.getOptionValue(option.attributeName()) === undefined)
        self.error(`error: required option '${option.flags}' not specified`, { code: "commander.missingMandatoryOptionValue" });
  });
}

/** Runs the program on argv and returns the exit code. */
export async function run(argv: string[]): Promise<number> {
  try {
    // `check --help` lists the cases: load them for that command only.
    const wantsCheck = argv[0] === "check" || (argv[0] === "help" && argv[1] === "check");
    const cases = wantsCheck ? (await import("../checker/cases/index.ts")).CASES : [];
    // The file's variables are in the environment before commander reads the options' defaults from it.
    const configFile = configFileOf(argv);
    const settingsFile = configFile === undefined ? undefined : loadConfigFile(configFile, new Set(environmentNames(ALL_SETTINGS)));
    const program = buildProgram(cases, settingsFile);
    await program.parseAsync(argv, { from: "user" });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === "commander.helpDisplayed" || error.code === "commander.version") return 0;
      // The help printed because no command was given (on stderr, exit code 1 from commander) is a usage error.
      if (error.code === "commander.help") return error.exitCode === 0 ? 0 : 2;
      return 2;
    }
    // Every error is one line; its exit code is the CLI's to choose (user-error.ts). Bad usage found after
    // parsing points to the help as commander's own usage errors do.
    const message = error instanceof Error ? error.message : String(error);
    const code = exitCode(error);
    if (message) process.stderr.write(`zulip-auth: ${message}\n`);
    if (message && code === 2) process.stderr.write(`Try '${commandPath(argv)} --help'\n`);
    return code;
  }
}

/** The command line's command and sub-command names, e.g. `zulip-auth limits clear`. */
function commandPath(argv: string[]): string {
  let command = buildProgram();
  const names = ["zulip-auth"];
  for (const word of argv) {
    const sub = command.commands.find((c) => c.name() === word);
    if (!sub) break;
    command = sub;
    names.push(word);
  }
  return names.join(" ");
}
