import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import type { Option } from "commander";
import { describe, expect, it } from "vitest";
import { CONFIG_ENV } from "../src/cli/config-file.ts";
import { LDAP_BIND_PASSWORD_ENV } from "../src/cli/ldap-options.ts";
import { serveCommand } from "../src/cli/serve.ts";

/**
 * The options of `serve` are declared once, in src/cli/serve.ts (commander Options: flag, environment variable,
 * default, parser, help text); the help and the settings file are read from them. docs/operating.md's table
 * and the example settings file are written for people: these tests keep them in step with the declarations.
 */

/** The rows of docs/operating.md's settings table: each cell, backquotes kept. */
function settingsTable(): string[][] {
  const text = readFileSync("docs/operating.md", "utf8");
  const start = text.indexOf("| option | environment variable | default | meaning |");
  expect(start).toBeGreaterThan(-1);
  const lines = text.slice(start).split("\n");
  const rows: string[][] = [];
  for (const line of lines.slice(2)) {
    if (!line.startsWith("|")) break;
    rows.push(
      line
        .split(/(?<!\\)\|/)
        .slice(1, -1)
        .map((cell) => cell.trim()),
    );
  }
  return rows;
}

/** The value a default is written as in the table, for the defaults that are plain values. */
function shown(option: Option): string | undefined {
  const value = option.defaultValue as unknown;
  if (typeof value === "number") return `\`${value}\``;
  // A path under the home folder is written as a person reads it; one under $XDG_DATA_HOME is this machine's.
  if (typeof value === "string" && value.startsWith(homedir() + "/")) return `\`~${value.slice(homedir().length)}\``;
  if (typeof value === "string") return value.startsWith("/") ? undefined : `\`${value}\``;
  if (value === false) return "off";
  return undefined;
}

describe("docs/operating.md's settings table follows serve's options", () => {
  const options = serveCommand().options.filter((o) => o.long !== "--help");
  const rows = settingsTable();
  const rowOf = (option: Option) => rows.find((row) => row[0]!.split(/[ ,]+/).some((flag) => flag.replace(/`/g, "") === option.long));

  it.each(options.map((o): [string, Option] => [o.long!, o]))("%s has a row naming its environment variable and its default", (_flag, option) => {
    const row = rowOf(option);
    expect(row, `no row for ${option.long}`).toBeDefined();
    if (option.envVar) expect(row![1]).toContain(`\`${option.envVar}\``);
    const value = shown(option);
    if (value !== undefined) expect(row![2]).toContain(value);
  });

  it("has no row for an option serve does not have", () => {
    const flags = new Set(options.map((o) => o.long));
    const documented = rows.flatMap((row) => [...row[0]!.matchAll(/`(--[a-z0-9-]+)/g)].map((m) => m[1]!));
    // --config is every command's (main.ts adds it).
    expect(documented.filter((flag) => flag !== "--config" && !flags.has(flag))).toEqual([]);
  });

  it("names in the example settings file only variables some option reads", () => {
    const known = new Set([LDAP_BIND_PASSWORD_ENV, CONFIG_ENV, ...options.map((o) => o.envVar)]);
    const names = readFileSync("docs/zulip-auth.env", "utf8")
      .split("\n")
      .map((line) => /^#? ?([A-Z][A-Z0-9_]+)=/.exec(line)?.[1])
      .filter((name): name is string => name !== undefined);
    expect(names.length).toBeGreaterThan(0);
    expect(names.filter((name) => !known.has(name))).toEqual([]);
  });
});
