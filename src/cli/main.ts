import { Command, CommanderError } from "commander";
import { AdminError } from "../admin/admin.ts";
import { auditCommand } from "./audit.ts";
import { checkCommand } from "./check.ts";
import { CommandExit } from "./exit.ts";
import { limitsCommand } from "./limits.ts";
import { loginCommand } from "./login.ts";
import { orgCommand } from "./org.ts";
import { PasswordInputError } from "./password-input.ts";
import { demoCommand, serveCommand } from "./serve.ts";
import { userCommand } from "./user.ts";

/** The `zulip-auth` program. Exit codes: 0 done, 1 failed (one line on stderr), 2 bad usage. */
export function buildProgram(): Command {
  const program = new Command("zulip-auth")
    .description("Zulip's password login API: server, client and conformance checker from one OpenAPI contract")
    .version("0.1.0")
    .showHelpAfterError()
    .exitOverride();
  for (const command of [serveCommand(), demoCommand(), orgCommand(), userCommand(), limitsCommand(), auditCommand(), loginCommand(), checkCommand()])
    program.addCommand(command);
  // Sub-commands inherit neither exitOverride nor the help-after-error setting: apply them everywhere.
  const configure = (c: Command) => {
    c.exitOverride().showHelpAfterError();
    c.commands.forEach(configure);
  };
  program.commands.forEach(configure);
  return program;
}

/** Runs the program on argv and returns the exit code. */
export async function run(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv, { from: "user" });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.code === "commander.helpDisplayed" || error.code === "commander.version" || error.code === "commander.help" ? 0 : 2;
    }
    if (error instanceof CommandExit) {
      if (error.message) process.stderr.write(`zulip-auth: ${error.message}\n`);
      return error.code;
    }
    if (error instanceof PasswordInputError) {
      process.stderr.write(`zulip-auth: ${error.message}\n`);
      return 2;
    }
    if (error instanceof AdminError) {
      process.stderr.write(`zulip-auth: ${error.message}\n`);
      return 1;
    }
    process.stderr.write(`zulip-auth: ${(error as Error).message ?? String(error)}\n`);
    return 1;
  }
}
