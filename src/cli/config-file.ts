import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { parseEnv } from "node:util";
import { CONFIG } from "./options.ts";
import { UserError } from "./user-error.ts";

/** The file named by `--config FILE` / `--config=FILE` anywhere in argv, else by ZULIP_AUTH_CONFIG; undefined for none. */
export function configFileOf(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    // Past "--" every word is an argument, not an option.
    if (arg === "--") break;
    if (arg === "--config") {
      const file = argv[i + 1];
      if (file === undefined || file === "") throw new UserError("--config needs a file name", 2);
      return file;
    }
    if (arg.startsWith("--config=")) return arg.slice("--config=".length);
  }
  return env[CONFIG.env!] || undefined;
}

/**
 * Reads an env-style settings file (`NAME=value` lines, `#` comments: the format of systemd's EnvironmentFile
 * and of .env files) and puts its variables into `env`, below what the environment already sets: the command
 * line wins over the environment, which wins over the file. A name no option reads is refused, so a typo is
 * not silently ignored; values are never printed (the file may hold DATABASE_URL's password). Returns the file's
 * path and the names it set (those the environment did not).
 */
export function loadConfigFile(file: string, known: ReadonlySet<string>, env: NodeJS.ProcessEnv = process.env): LoadedFile {
  const path = resolve(file);
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    const { code } = error as NodeJS.ErrnoException;
    const why = code === "ENOENT" ? "no such file" : code === "EISDIR" ? "it is a folder" : code === "EACCES" ? "permission denied" : (error as Error).message;
    throw new UserError(`cannot read the settings file ${path}: ${why}`, 2);
  }
  const settings = parseEnv(text);
  const names = new Set<string>();
  for (const [name, value] of Object.entries(settings)) {
    if (!known.has(name) && !name.startsWith("PG")) throw new UserError(`${path}: ${name} is not a zulip-auth setting (docs/operating.md lists them)`, 2);
    // The file is named before it is read: a file naming another would be silently ignored.
    if (name === CONFIG.env) throw new UserError(`${path}: ${name} names the settings file, so it cannot be set in one`, 2);
    // A blank variable is one not given (setting.ts): the file's value is the next source.
    if (!env[name]?.trim()) {
      env[name] = value;
      names.add(name);
    }
  }
  return { path, names };
}

/** A settings file once read: its path, and the variables it put in the environment. */
export interface LoadedFile {
  readonly path: string;
  readonly names: ReadonlySet<string>;
}

/**
 * commander's error line for a bad value, naming the settings file when the value came from it: commander reads
 * the file's variables as the environment's and says `from env 'NAME'` for both.
 */
export function namingTheFile(line: string, file: LoadedFile): string {
  return line.replace(/from env '([A-Za-z0-9_]+)'/, (said, name: string) => (file.names.has(name) ? `from ${name} in settings file ${file.path}` : said));
}
