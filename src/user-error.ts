/**
 * A failure told to a person in one line (no stack trace, no secret), with the exit code a command ends with:
 * 1 when something failed, 2 for bad usage or settings that cannot work. An empty message prints nothing.
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
