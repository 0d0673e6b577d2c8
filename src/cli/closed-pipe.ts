/**
 * Ends the process with exit 0, printing nothing, when the reader of its output goes away (`zulip-auth user
 * list | head -1`): what `head` users expect of a Unix command, rather than an EPIPE stack trace. Node ignores
 * SIGPIPE, so the closed pipe shows up as an 'error' on the stream instead; any other error is still thrown.
 */
export function endQuietlyOnClosedPipe(): void {
  process.stdout.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code !== "EPIPE") throw error;
    process.exit(0);
  });
  // Nobody reads the messages any more: the command still ends with its own exit code.
  process.stderr.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code !== "EPIPE") throw error;
  });
}
