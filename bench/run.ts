// `npm run bench [-- --quick] [-- --only 7,8]`: every benchmark in one run (bench/README.md keeps the log), each pair measured side by side, alternating, and
// the results as a Markdown table on standard output (progress on standard error). Exit 0 when every goal is
// met, 1 when one is missed, 2 when the benchmark itself failed (a server that would not start, an answer with
// a status it should not have).
//
// Processes: the server under test runs alone in its own process (the real `zulip-auth serve`); every load
// generator (autocannon), the raw argon2 loop and the bare node:http server run in processes of their own. Only
// two cores: each pair's two sides get the same load generator with the same options, so its CPU cost falls
// on both sides and cancels in the ratio.
import { availableParallelism, loadavg } from "node:os";
import { parseArgs } from "node:util";
import { checkerWallTime } from "./checker.ts";
import { enumerationRow, uniformErrorsRow } from "./enumeration.ts";
import { eventLoopUnderLoad } from "./event-loop.ts";
import { floodRow } from "./flood.ts";
import { frameworkOverhead } from "./framework-overhead.ts";
import { formatHashParams, startBenchServer } from "./lib.ts";
import { loginVsHash } from "./login-vs-hash.ts";
import { describeMachine, installedVersion } from "./machine.ts";
import { memoryAfterMixed } from "./memory.ts";
import { checkAnswers, MIXED, REQUESTS } from "./requests.ts";
import { type BenchContext, benchSettings } from "./settings.ts";
import { startupRows } from "./startup.ts";
import { notMeasured, type Row, renderTable } from "./table.ts";

const { values } = parseArgs({ options: { quick: { type: "boolean", default: false }, only: { type: "string" } } });
const settings = benchSettings(values.quick);
// `--only 1,3`: measure some lines; the others say they were not selected.
const only = values.only === undefined ? undefined : new Set(values.only.split(",").map((id) => Number(id.trim())));
const LINES: [number, string, string][] = [
  [1, "Login vs the hash", "≥ 0.90"],
  [2, "Framework overhead", "≥ 0.85"],
  [3, "Event loop under load", "≤ 20 ms"],
  [4, "No enumeration by timing", "0.9–1.1"],
  [5, "Memory", "≤ 150 MB, flat"],
  [6, "Checker", "≤ 2 s"],
  [7, "Real login during a flood", "≤ 2 s, every time"],
  [8, "Deactivated user, --uniform-errors", "0.9–1.1"],
  [9, "Start-up: zulip-auth --help", "≤ 0.3 s"],
  [10, "Start-up: zulip-auth user list", "≤ 0.6 s"],
];
if (only && [...only].some((id) => !Number.isInteger(id) || id < 1 || id > LINES.length)) {
  process.stderr.write(`--only takes line numbers from 1 to ${LINES.length}, e.g. --only 1,3\n`);
  process.exit(2);
}
/** Measures line `id` unless `--only` leaves it out. */
const selected = (id: number) => !only || only.has(id);
const skipped = (id: number): Row => {
  const [, name, goal] = LINES[id - 1]!;
  return notMeasured(id, name, goal, "not selected (--only)");
};
const line = async (id: number, measure: () => Promise<Row>): Promise<Row> => (selected(id) ? measure() : skipped(id));
const started = performance.now();
const loadBefore = loadavg()[0]!;
const progress = (message: string) => process.stderr.write(`[${((performance.now() - started) / 1000).toFixed(0).padStart(3)} s] ${message}\n`);

try {
  progress("starting the server");
  // Lines 1–3 measure the server as users run it: the three login limits on, their counters in the database.
  // Correct logins never fill them (a success empties rule (a) and takes its entry out of (b) and (c)), but
  // each login in flight holds an entry in (a) until it succeeds: (a) must hold more than the logins in flight.
  const server = await startBenchServer({ hashParams: settings.hashParams, limits: "default", ...(settings.ruleA ? { rateLimit: settings.ruleA } : {}) });
  const ctx: BenchContext = { settings, server, progress };
  const rows: Row[] = [];
  const notes: string[] = [];
  try {
    await checkAnswers(
      server.url,
      Object.values(REQUESTS).filter((r) => r.status === 200),
    );
    rows.push(await line(1, () => loginVsHash(ctx, notes)));
    rows.push(await line(2, () => frameworkOverhead(ctx, notes)));
    rows.push(await line(3, () => eventLoopUnderLoad(ctx)));
  } finally {
    await server.stop();
  }
  // Line 4 sends hundreds of wrong passwords from one address: the limits would refuse them, so they are off.
  rows.push(
    await line(4, async () => {
      const open = await startBenchServer({ hashParams: settings.hashParams });
      try {
        await checkAnswers(open.url, [...Object.values(REQUESTS), ...MIXED]);
        return await enumerationRow(open.url, settings.enumerationPairs, progress);
      } finally {
        await open.stop();
      }
    }),
  );
  rows.push(await line(5, () => memoryAfterMixed(ctx)));
  rows.push(await line(6, () => checkerWallTime(ctx)));
  rows.push(await line(7, () => floodRow({ progress, hashParams: settings.hashParams, logins: settings.floodLogins })));
  rows.push(await line(8, () => uniformErrorsRow(settings.hashParams, settings.enumerationPairs, progress)));
  const startup = selected(9) || selected(10) ? await startupRows(ctx, { help: selected(9), list: selected(10) }) : {};
  rows.push(startup.help ?? skipped(9), startup.list ?? skipped(10));

  const p = settings.hashParams;
  const seconds = (performance.now() - started) / 1000;
  console.log(
    [
      `### zulip-auth benchmark${settings.quick ? " (--quick: a smoke test, not a measurement)" : ""}`,
      "",
      `- Machine: ${describeMachine()}`,
      `- argon2id: ${formatHashParams(p)} (memory ${p.memoryCost} KiB, ${p.timeCost} passes, ${p.parallelism} lane), @node-rs/argon2 ${installedVersion("@node-rs/argon2")}`,
      `- Server: \`zulip-auth serve${settings.ruleA ? ` --rate-limit ${settings.ruleA}` : ""} --success-rate-limit off --address-success-rate-limit off --argon2 ${formatHashParams(p)}\` ` +
        `on loopback for lines 1–3 (login rules (a)–(c) on, counted in its SQLite database; the audit trail on), with every rule off ` +
        `(\`--rate-limit off --address-rate-limit off --user-rate-limit off\` too) for lines 4, 5 and 7; access log on (to a file)`,
      `- Load: autocannon ${installedVersion("autocannon")} in its own process; ${settings.loginConcurrency} concurrent logins (and raw verifies), ` +
        `${settings.connections} connections for server_settings, a ${settings.probeRate} req/s probe for latency`,
      `- ${settings.rounds} round(s) of ${settings.seconds} s per side, alternating; medians; total ${seconds.toFixed(0)} s`,
      `- Other load on the machine: 1-minute load average ${loadBefore.toFixed(1)} before the run, ${loadavg()[0]!.toFixed(1)} after (${availableParallelism()} cores)`,
      "",
      renderTable(rows),
      ...(notes.length > 0 ? ["", ...notes] : []),
    ].join("\n"),
  );
  process.exitCode = rows.some((r) => r.met === false) ? 1 : 0;
} catch (error) {
  process.stderr.write(`benchmark failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 2;
}
