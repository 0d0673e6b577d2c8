/** Ends a command with an exit code and, when given, a one-line message on stderr. */
export class CommandExit extends Error {
  constructor(
    readonly code: number,
    message = "",
  ) {
    super(message);
    this.name = "CommandExit";
  }
}
