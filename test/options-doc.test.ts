import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { describe, expect, it } from "vitest";
import { OPERATING_DOC, SETTINGS_FILE, settingsFile, settingsTable, TABLE_END, TABLE_START, withTable } from "../scripts/options-doc.ts";
import { auditCommand } from "../src/cli/audit.ts";
import { checkCommand } from "../src/cli/check.ts";
import { limitsCommand } from "../src/cli/limits.ts";
import { loginCommand } from "../src/cli/login.ts";
import { orgCommand } from "../src/cli/org.ts";
import { demoCommand, serveCommand } from "../src/cli/serve.ts";
import { ALL_SETTINGS } from "../src/cli/serve-options.ts";
import { settingsIn } from "../src/cli/setting.ts";
import { userCommand } from "../src/cli/user.ts";

/**
 * The options are declared once, in src/cli's options table; docs/operating.md's settings table and the example
 * settings file are written from it by `npm run generate`. These tests fail when the committed ones are not what
 * the table writes, and when a command declares an option with an environment variable outside the table.
 */

describe("the committed docs are what the options table writes (npm run generate)", () => {
  it(`${OPERATING_DOC}'s settings table`, () => {
    const committed = readFileSync(OPERATING_DOC, "utf8");
    expect(committed.indexOf(TABLE_END)).toBeGreaterThan(committed.indexOf(TABLE_START));
    expect(committed, "run npm run generate").toBe(withTable(committed, settingsTable()));
  });

  it(SETTINGS_FILE, () => {
    expect(readFileSync(SETTINGS_FILE, "utf8"), "run npm run generate").toBe(settingsFile());
  });

  it("the table lists every setting, with its variable, and a settings file sets only variables some setting reads", () => {
    const table = settingsTable();
    const settings = settingsIn(ALL_SETTINGS);
    for (const s of settings) expect(table).toContain(`| ${s.flag ? `\`${s.flag.replace(/\|/g, "\\|")}\`` : "—"} | \`${s.env}\` |`);
    const known = new Set(settings.map((s) => s.env));
    const named = [...settingsFile().matchAll(/^#? ?([A-Z][A-Z0-9_]+)=/gm)].map((m) => m[1]!);
    expect(named.length).toBeGreaterThan(20);
    expect(named.filter((name) => !known.has(name))).toEqual([]);
  });
});

describe("one mechanism", () => {
  const all = (c: Command): Command[] => [c, ...c.commands.flatMap(all)];
  const commands = [serveCommand(), demoCommand(), orgCommand(), userCommand(), limitsCommand(), auditCommand(), loginCommand(), checkCommand()].flatMap(all);

  it("every option of every command that reads an environment variable is a setting of the table, as the table declares it", () => {
    const byFlag = new Map(settingsIn(ALL_SETTINGS).map((s) => [s.flag, s]));
    const withEnv = commands.flatMap((c) => c.options.filter((o) => o.envVar).map((o) => ({ command: c.name(), option: o })));
    expect(withEnv.length).toBeGreaterThan(40);
    for (const { command, option } of withEnv) {
      const s = byFlag.get(option.flags);
      expect(s, `${command} ${option.flags}`).toBeDefined();
      expect([option.envVar, option.description], `${command} ${option.flags}`).toEqual([s!.env, s!.help]);
    }
  });

  it("the table's commands column names the commands that take each setting, and only those", () => {
    const tops = [serveCommand(), demoCommand(), orgCommand(), userCommand(), limitsCommand(), auditCommand(), loginCommand(), checkCommand()];
    const rows = new Map(
      [...settingsTable().matchAll(/^\| `([^`]+)` \| `[^`]+` \| [^|]*(?:\\\|[^|]*)* \| ([^|]+) \|/gm)].map((m) => [m[1]!.replace(/\\\|/g, "|"), m[2]!]),
    );
    for (const s of settingsIn(ALL_SETTINGS).filter((s) => s.flag && s.flag !== "--config <file>")) {
      const cell = rows.get(s.flag!);
      expect(cell, s.flag).toBeDefined();
      const named = new Set(cell!.split(", ").map((c) => c.split(" ")[0]));
      const taking = tops.filter((top) => all(top).some((c) => c.options.some((o) => o.flags === s.flag))).map((c) => c.name());
      expect([...named].sort(), s.flag).toEqual(taking.sort());
    }
    expect(rows.get("--redis-url <url>")).toBe("serve, limits");
    expect(rows.get("--port <port>")).toBe("serve, demo");
  });

  it("every setting with an environment variable is some command's option, or read from the environment only", () => {
    const flags = new Set(commands.flatMap((c) => c.options.map((o) => o.flags)));
    const orphans = settingsIn(ALL_SETTINGS).filter((s) => s.flag && !flags.has(s.flag) && s.flag !== "--config <file>");
    expect(orphans.map((s) => s.flag)).toEqual([]);
  });
});
