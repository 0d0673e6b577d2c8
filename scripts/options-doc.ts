import type { Command } from "commander";
import { buildProgram } from "../src/cli/main.ts";
import { CONFIG } from "../src/cli/options.ts";
import { ALL_SETTINGS } from "../src/cli/serve-options.ts";
import { type Setting, settingsIn } from "../src/cli/setting.ts";

// docs/operating.md's settings table and docs/zulip-auth.env, written from the options table (src/cli/setting.ts):
// `npm run generate` writes them, test/options-doc.test.ts fails when the committed ones differ.

/** The Markdown file that holds the settings table, and the example settings file. */
export const OPERATING_DOC = "docs/operating.md";
export const SETTINGS_FILE = "docs/zulip-auth.env";

/** The lines around the generated table in docs/operating.md. */
export const TABLE_START = "<!-- settings table: written by `npm run generate` from src/cli's options table; edit the table, not these lines -->";
export const TABLE_END = "<!-- end of the settings table -->";

/** A default as written for people: a plain value as it is typed, a description as it is. */
function defaultOf(s: Setting<unknown>): { text: string; typed: boolean } | undefined {
  if (s.defaultText !== undefined) return { text: s.defaultText, typed: !/\s/.test(s.defaultText) };
  const value = s.default;
  if (value === undefined) return undefined;
  if (typeof value === "boolean") return { text: value ? "on" : "off", typed: true };
  if (typeof value === "number" || typeof value === "string") return { text: String(value), typed: true };
  throw new Error(`${s.flag ?? s.env}: a default that is not a plain value needs its defaultText`);
}

const cell = (text: string) => text.replace(/\|/g, "\\|");
const code = (text: string) => `\`${cell(text)}\``;

/** The commands a flag is an option of: a command whose every sub-command takes it by its name, else the sub-commands'. */
function commandsTaking(program: Command, flag: string): string {
  const leaves = (c: Command, path: string): { path: string; command: Command }[] =>
    c.commands.length === 0 ? [{ path, command: c }] : c.commands.flatMap((sub) => leaves(sub, `${path} ${sub.name()}`));
  const names = program.commands.flatMap((top) => {
    const all = leaves(top, top.name());
    const taking = all.filter((l) => l.command.options.some((o) => o.flags === flag));
    return taking.length === all.length ? [top.name()] : taking.map((l) => l.path);
  });
  return names.length === program.commands.length ? "every command" : names.join(", ");
}

/** docs/operating.md's settings table: one row per setting, in the table's order, with the commands that take it. */
export function settingsTable(): string {
  const program = buildProgram();
  const rows = settingsIn(ALL_SETTINGS).map((s) => {
    const shown = defaultOf(s);
    const fallback = shown === undefined ? "—" : shown.typed ? code(shown.text) : cell(shown.text);
    // A setting without a flag is read from the environment by serve (ALL_SETTINGS is serve's table and --config).
    const commands = s.flag ? commandsTaking(program, s.flag) : "serve";
    return `| ${s.flag ? code(s.flag) : "—"} | ${s.env ? code(s.env) : "—"} | ${fallback} | ${commands} | ${cell(s.doc ?? s.help)} |`;
  });
  return ["| option | environment variable | default | commands | meaning |", "| --- | --- | --- | --- | --- |", ...rows].join("\n");
}

/** `markdown` with the text between TABLE_START and TABLE_END replaced by `table`. */
export function withTable(markdown: string, table: string): string {
  const start = markdown.indexOf(TABLE_START);
  const end = markdown.indexOf(TABLE_END);
  if (start < 0 || end < start) throw new Error(`${OPERATING_DOC} has lost its settings table's markers`);
  return `${markdown.slice(0, start + TABLE_START.length)}\n${table}\n${markdown.slice(end)}`;
}

const HEADER = `# zulip-auth's settings: the systemd unit's EnvironmentFile, read by every command given \`--config FILE\` (or
# ZULIP_AUTH_CONFIG=FILE). NAME=value lines, no quotes or $ expansion (the format systemd and --config share).
# Install it as /etc/zulip-auth/zulip-auth.env, root:zulip-auth, mode 0640: it may hold passwords (DATABASE_URL's,
# REDIS_URL's, the LDAP bind password). The command line wins over the environment, which wins over this file.
# docs/operating.md explains every setting; this file is written from the same table by \`npm run generate\`.
`;

/** docs/zulip-auth.env: the settings the unit sets, and every other one commented out with its default or an example. */
export function settingsFile(): string {
  const lines = settingsIn(ALL_SETTINGS)
    .filter((s) => s.env !== undefined && s.env !== CONFIG.env)
    .map((s) => {
      const about = `# ${s.flag ? `${s.flag.split(" ")[0]}: ` : ""}${s.help}`;
      if (s.unitValue !== undefined) return `${about}\n${s.env}=${s.unitValue}`;
      // A setting with neither an example nor a default to show has no line to uncomment: a blank one would
      // not be "none" for every setting (a blank bind password is still an LDAP setting without an LDAP URL).
      const shown = defaultOf(s);
      const value = s.example ?? (shown?.typed ? shown.text : undefined);
      return value === undefined ? `# ${s.env}: ${about.slice(2)}` : `${about}\n# ${s.env}=${value}`;
    });
  return `${HEADER}\n${lines.join("\n\n")}\n`;
}
