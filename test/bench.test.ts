// `npm run bench -- --quick` as a real process: the script keeps working and prints the table it promises.
// Timing goals are never asserted here (a test is no benchmark): only the shape of what is printed.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { placeOf, summarise } from "../bench/profile.ts";

function runBench(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ["--import", "tsx", "bench/run.ts", ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d));
  child.stderr.on("data", (d: Buffer) => (stderr += d));
  return new Promise((resolve) => child.once("close", (code) => resolve({ code, stdout, stderr })));
}

const cells = (line: string) =>
  line
    .slice(2, -2)
    .split(/(?<!\\)\|/)
    .map((c) => c.trim());

describe("npm run bench -- --quick", () => {
  it("measures every line and prints the machine, the argon2 parameters and a Markdown table", { timeout: 180_000 }, async () => {
    const { code, stdout, stderr } = await runBench(["--quick"]);
    // 0: every goal met, 1: some missed (timing on a shared machine is not this test's business), 2: broken.
    expect([0, 1], stderr).toContain(code);
    expect(stdout).toMatch(/^- Machine: \d+ cores \(.+\), .*Node v\d+\.\d+\.\d+$/m);
    expect(stdout).toMatch(/^- argon2id: m=\d+,t=\d+,p=\d+ /m);
    expect(stdout).toMatch(/^- Load: autocannon \d+\.\d+\.\d+ in its own process/m);

    const table = stdout.split("\n").filter((l) => l.startsWith("|"));
    expect(cells(table[0]!)).toEqual(["#", "measure", "result", "against", "ratio", "goal", "met"]);
    const rows = table.slice(2).map(cells);
    expect(rows.map((r) => r[0])).toEqual(["1", "2", "3", "4", "5", "6", "7", "8", "9", "10"]);
    for (const row of rows) {
      expect(row).toHaveLength(7);
      expect(["yes", "**no**", "—"]).toContain(row[6]);
    }
    const [login, framework, eventLoop, enumeration, memory, checker, flood, uniform, help, list] = rows as string[][];
    // The ratios are numbers (line 4 has two: the unknown user's and the old-hash user's); the absolute goals have none.
    for (const row of [login!, framework!, flood!, uniform!]) expect(row[4]).toMatch(/^\d+\.\d+$/);
    expect(enumeration![4]).toMatch(/^\d+\.\d+, \d+\.\d+$/);
    expect(flood![2]).toMatch(/^\d+ of 5 real logins 200, slowest [\d,]+ ms \(median [\d,]+ ms\); flooder: \d+ × 200, \d+ × 429, \d+ × 503$/);
    expect(uniform![2]).toMatch(/^[\d.]+ ms deactivated user/);
    for (const row of [eventLoop!, memory!]) expect(row[4]).toBe("—");
    expect(login![2]).toMatch(/^[\d,.]+ logins\/s$/);
    expect(login![3]).toMatch(/^[\d,.]+ argon2 verifies\/s$/);
    expect(framework![2]).toMatch(/^[\d,]+ server_settings\/s$/);
    expect(eventLoop![2]).toMatch(/^p99 [\d.]+ ms /);
    expect(enumeration![2]).toMatch(/^[\d.]+ ms unknown user, [\d.]+ ms old-hash user /);
    expect(memory![2]).toMatch(/^[\d.]+ MB RSS after 4,000 mixed requests/);
    expect(memory![3]).toMatch(/^[+−][\d.]+ MB over the second half/);
    // Never silently left out: without the checker on this branch the line says so.
    if (!existsSync("src/checker")) expect(checker![2]).toBe("not measured: the checker is not on this branch");
    else expect(checker![2]).toMatch(/s wall time|^not measured: /);
    for (const row of [help!, list!]) expect(row[2]).toMatch(/^\d+\.\d{3} s median of 3 \(min /);
  });

  it("refuses an --only that names no line", async () => {
    const { code, stderr } = await runBench(["--only", "11"]);
    expect(code).toBe(2);
    expect(stderr).toContain("--only takes line numbers from 1 to 10");
  });
});

describe("npm run bench:profile's summary", () => {
  it("adds self time by package, project file and V8 category, idle left out", () => {
    const frame = (functionName: string, url: string) => ({ functionName, url, lineNumber: 0 });
    const profile = {
      nodes: [
        { id: 1, callFrame: frame("(root)", ""), children: [2, 3, 4, 5] },
        { id: 2, callFrame: frame("get", `file://${process.cwd()}/node_modules/libsql/index.js`) },
        { id: 3, callFrame: frame("serverSettings", `file://${process.cwd()}/src/server/routes/server-settings.ts`) },
        { id: 4, callFrame: frame("(idle)", "") },
        { id: 5, callFrame: frame("writev", "") },
      ],
      samples: [2, 3, 4, 5, 2],
      timeDeltas: [10, 20, 500, 30, 40],
    };
    const s = summarise(profile);
    expect(s.totalUs).toBe(100);
    expect(s.byPlace).toEqual([
      ["pkg:libsql", 50],
      ["(native)", 30],
      ["src/server/routes/server-settings.ts", 20],
    ]);
    expect(s.byFunction[0]).toEqual(["get pkg:libsql:1", 50]);
    expect(placeOf("file:///x/node_modules/@hono/node-server/dist/index.mjs", "f")).toBe("pkg:@hono/node-server");
    expect(placeOf("node:_http_server", "f")).toBe("node:_http_server");
  });
});
