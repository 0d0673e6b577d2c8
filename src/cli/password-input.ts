import { constants } from "node:os";
import { createInterface } from "node:readline";
import { Writable } from "node:stream";
import { UserError } from "./user-error.ts";

/** The exit code of a command interrupted by Ctrl-C: 128 + SIGINT's number. */
const INTERRUPTED = 128 + constants.signals.SIGINT;

/**
 * The password from standard input (one trailing newline dropped) or, on a terminal, a prompt without echo. No
 * terminal, or the prompt's input ending, is bad usage (exit 2); Ctrl-C at the prompt is an interrupt (exit 130,
 * 128 + SIGINT, as shells report it).
 */
export async function readPassword(fromStdin: boolean, prompt = "Password: "): Promise<string> {
  if (fromStdin) {
    let text = "";
    for await (const chunk of process.stdin) text += chunk;
    return text.replace(/\r?\n$/, "");
  }
  if (!process.stdin.isTTY) throw new UserError("no terminal to prompt for the password on: pass it with --password-stdin", 2);
  const muted = new Writable({ write: (_chunk, _encoding, done) => done() });
  const rl = createInterface({ input: process.stdin, output: muted, terminal: true });
  // Only now, with echo off (readline put the terminal in raw mode): what is typed at the prompt stays unseen.
  process.stderr.write(prompt);
  try {
    return await new Promise<string>((resolve, reject) => {
      rl.once("line", resolve);
      rl.once("SIGINT", () => reject(new UserError("cancelled", INTERRUPTED)));
      rl.once("close", () => reject(new UserError("no password given", 2)));
    });
  } finally {
    rl.close();
    process.stderr.write("\n");
  }
}
