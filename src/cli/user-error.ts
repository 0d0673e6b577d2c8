import { CheckOptionsError } from "../checker/errors.ts";
import { InvalidConfigurationError } from "../shared/errors.ts";

/**
 * A failure of the CLI told to a person in one line (no stack trace, no secret), with the exit code a command
 * ends with: 1 when something failed, 2 for bad usage or settings that cannot work. An empty message prints
 * nothing. Lower layers throw domain errors (src/shared/errors.ts) instead; exitCode maps them.
 */
export class UserError extends Error {
  override name = "UserError";
  constructor(
    message: string,
    readonly exitCode = 1,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** The exit code a command ends with for `error`: the only place the domain's errors meet exit codes. */
export function exitCode(error: unknown): number {
  if (error instanceof UserError) return error.exitCode;
  if (error instanceof InvalidConfigurationError || error instanceof CheckOptionsError) return 2;
  // Invalid input, something not found, a file or service that cannot be used, anything else: it failed.
  return 1;
}
