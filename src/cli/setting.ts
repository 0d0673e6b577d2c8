import { type Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { UserError } from "./user-error.ts";

// The options table's mechanism: a setting is declared once (flag, environment variable, default, parser,
// documentation); commander's options, --help, docs/operating.md's table, docs/zulip-auth.env and the names a
// settings file may hold are all read from the declarations, and the parsed values' type is inferred from them.

declare const VALUE: unique symbol;

/** What every setting says about itself, whatever its value's type. */
interface About {
  /** commander's flags, e.g. `--port <port>` or `--dev [on|off]`; none for a setting only the environment gives (a password). */
  readonly flag?: string;
  /** Its environment variable, which is also its name in a settings file (`--config`). */
  readonly env?: string;
  /** Its --help line. */
  readonly help: string;
  /** docs/operating.md's "meaning" cell (Markdown), when it says more than the help line. */
  readonly doc?: string;
  /** How the default is shown when it is not a plain value (an object, a path that depends on the machine). */
  readonly defaultText?: string;
  /** The value a bare flag stands for (`--dev` is `--dev on`). */
  readonly preset?: string;
  /** A value docs/zulip-auth.env shows, commented out, where the default says nothing useful. */
  readonly example?: string;
  /** The value docs/zulip-auth.env, the systemd unit's settings file, sets. */
  readonly unitValue?: string;
}

/** One setting, whose parsed value is a T. */
export interface Setting<T> extends About {
  readonly default?: T;
  /** The allowed values, when they are a fixed list (commander refuses the others). */
  readonly choices?: readonly string[];
  /** Turns the text given into the value; throws one sentence, without the text when it may hold a secret. */
  readonly parse?: (text: string) => T;
  /** Type only: the value's type, whichever of the fields above says it. */
  readonly [VALUE]?: T;
}

/** Settings whose values make one value together (the LDAP settings make the server's LdapConfig). */
export interface Derived<S extends Settings, R> {
  readonly settings: S;
  derive(values: Values<S>): R;
}

/** A table of settings: settings, derived groups and nested tables, keyed as their values are. */
export interface Settings {
  readonly [key: string]: Setting<unknown> | Derived<Settings, unknown> | Settings;
}

/** The values a table parses to. */
export type Values<S> = {
  -readonly [K in keyof S]: S[K] extends Setting<infer T> ? T : S[K] extends Derived<Settings, infer R> ? R : Values<S[K]>;
};

/**
 * A table whose values make a T, for `satisfies TableOf<T>`: the compiler then refuses a misspelt key, a field of T
 * that no setting gives, and a value of the wrong type (an optional setting for a field T requires, say).
 */
export type TableOf<T> = {
  readonly [K in keyof T]: Setting<T[K]> | Derived<Settings, T[K]> | TableOf<NonNullable<T[K]>>;
};

/** Declares a setting; its value's type follows from its parser, its choices or (none) a string, and is never undefined when it has a default. */
export function setting<T>(about: About & { parse: (text: string) => T; default: T }): Setting<T>;
export function setting<T>(about: About & { parse: (text: string) => T }): Setting<T | undefined>;
export function setting<const C extends string>(about: About & { choices: readonly C[]; default: NoInfer<C> }): Setting<C>;
export function setting<const C extends string>(about: About & { choices: readonly C[] }): Setting<C | undefined>;
export function setting(about: About & { default: string }): Setting<string>;
export function setting(about: About): Setting<string | undefined>;
export function setting(about: Setting<unknown>): Setting<unknown> {
  return about;
}

/** Settings whose parsed values `derive` turns into one value. */
export function derived<S extends Settings, R>(settings: S, derive: (values: Values<S>) => R): Derived<S, R> {
  return { settings, derive };
}

type Node = Settings[string];
const isSetting = (node: Node): node is Setting<unknown> => "help" in node && typeof node.help === "string";
const isDerived = (node: Node): node is Derived<Settings, unknown> => "derive" in node && typeof node.derive === "function";

/** Every setting of a table once, in the table's order (a setting shared by two groups is listed where it first appears). */
export function settingsIn(table: Settings): Setting<unknown>[] {
  const found = new Set<Setting<unknown>>();
  const visit = (node: Node) => {
    if (isSetting(node)) found.add(node);
    else for (const child of Object.values(isDerived(node) ? node.settings : node)) visit(child);
  };
  visit(table);
  return [...found];
}

/** The environment variables a table's settings read: the names a settings file may set. */
export function environmentNames(table: Settings): string[] {
  return settingsIn(table).flatMap((s) => (s.env ? [s.env] : []));
}

// commander hands back "" for a parser's null ("off"): the parser hands it this instead, and valuesOf null.
const NULL = Symbol("null");
// Blank text (empty or spaces) is no value: valuesOf takes a blank variable as not set (the default, as an empty
// variable is "none" everywhere) and refuses a blank flag. Parsers never see it (Number("") would be 0).
const BLANK = Symbol("blank");

/** A table setting's parser for commander: a bad value is a usage error (exit 2) that commander words, or the parser's own UserError. */
function commanderParser<T>(parse: (text: string) => T): (text: string) => T | typeof NULL | typeof BLANK {
  return (text) => {
    if (text.trim() === "") return BLANK;
    try {
      const value = parse(text);
      return value === null ? NULL : value;
    } catch (error) {
      if (error instanceof UserError || error instanceof CommanderError) throw error;
      throw new InvalidArgumentError((error as Error).message);
    }
  };
}

// commander shows a default in --help only when there is a value: a default given only as text (none, a value
// the server works out) stands as this, and valuesOf reads it as the setting's default (undefined).
const SHOWN_ONLY = Symbol("default shown only");

/** The commander option of a setting with a flag. */
export function optionOf(s: Setting<unknown>): Option {
  const option = new Option(s.flag!, s.help);
  if (s.env) option.env(s.env);
  if (s.default !== undefined || s.defaultText !== undefined) option.default(s.default ?? SHOWN_ONLY, s.defaultText);
  if (s.preset !== undefined) option.preset(s.preset);
  if (s.choices) option.choices(s.choices);
  // Every value goes through commanderParser: a parser's, a choice's check (commander's parseArg), a plain string.
  const check = option.parseArg;
  const parse = s.parse ?? (check ? (text: string) => check(text, undefined) : (text: string) => text);
  if (option.required || option.optional) option.argParser(commanderParser(parse));
  return option;
}

/** Adds a table's settings to a command as its options (those with a flag; the others are read from the environment). */
export function addSettings<C extends Command>(command: C, table: Settings): C {
  for (const s of settingsIn(table)) if (s.flag) command.addOption(optionOf(s));
  return command;
}

/**
 * A table's values once commander has parsed `command`'s options (added by addSettings). Where each comes from,
 * first found: the command line, the environment (which holds the settings file's variables below its own, see
 * config-file.ts), the default. A setting without a flag is read from `env`. Derived groups are derived here, so
 * their UserErrors are bad usage found after parsing.
 */
export function valuesOf<S extends Settings>(table: S, command: Command, env: NodeJS.ProcessEnv = process.env): Values<S> {
  const parsed = command.opts();
  const value = (s: Setting<unknown>): unknown => {
    if (s.flag) {
      const key = new Option(s.flag).attributeName();
      const given: unknown = parsed[key];
      if (given === BLANK && command.getOptionValueSource(key) === "cli") {
        throw new UserError(`${s.flag.split(" ")[0]} needs a value (leave the option out for its default)`, 2);
      }
      return given === NULL ? null : given === BLANK || given === SHOWN_ONLY ? s.default : given;
    }
    const text = s.env === undefined ? undefined : env[s.env];
    return text === undefined || text.trim() === "" ? s.default : s.parse ? s.parse(text) : text;
  };
  const read = (node: Node): unknown => {
    if (isSetting(node)) return value(node);
    if (isDerived(node)) return node.derive(read(node.settings) as Values<Settings>);
    return Object.fromEntries(Object.entries(node).map(([key, child]) => [key, read(child)]));
  };
  return read(table) as Values<S>;
}
