// Lines 9 and 10: how long the CLI takes from start to exit, the median of alternating runs: `zulip-auth --help`
// (loads commander and the command definitions only) and `user list` on a small database (adds the SQLite
// driver and the store). Each run is a fresh `node dist/src/cli/bin.js` process, as a user's shell starts it.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { join } from "node:path";
import { createBenchDatabase, ROOT } from "./lib.ts";
import type { BenchContext } from "./settings.ts";
import type { Row } from "./table.ts";

const BIN = join(ROOT, "dist/src/cli/bin.js");

/** Seconds from spawning `zulip-auth <args>` to its exit; throws unless it exits 0. */
async function timeRun(args: string[]): Promise<number> {
  const started = performance.now();
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d));
  const [code] = (await once(child, "close")) as [number | null];
  if (code !== 0) throw new Error(`zulip-auth ${args.join(" ")} exited ${code}: ${stderr}`);
  return (performance.now() - started) / 1000;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

/** Measures lines 9 (`--help`, goal ≤ 0.3 s) and 10 (`user list`, goal ≤ 0.6 s). */
export async function startupRows(ctx: BenchContext, measure: { help: boolean; list: boolean }): Promise<{ help?: Row; list?: Row }> {
  const runs = ctx.settings.quick ? 3 : 15;
  const { db } = await createBenchDatabase(ctx.settings.hashParams);
  const help: number[] = [];
  const list: number[] = [];
  // One warm-up each (the first start reads the files from disk), then alternating runs.
  await timeRun(["--help"]);
  await timeRun(["user", "list", "--db", db]);
  for (let i = 0; i < runs; i++) {
    ctx.progress(`9–10. start-up: run ${i + 1} of ${runs}`);
    if (measure.help) help.push(await timeRun(["--help"]));
    if (measure.list) list.push(await timeRun(["user", "list", "--db", db]));
  }
  const row = (id: number, name: string, samples: number[], goal: number): Row => {
    const m = median(samples);
    return {
      id,
      name,
      result: `${m.toFixed(3)} s median of ${samples.length} (min ${Math.min(...samples).toFixed(3)}, max ${Math.max(...samples).toFixed(3)})`,
      against: "—",
      ratio: "—",
      goal: `≤ ${goal} s`,
      met: m <= goal,
    };
  };
  return {
    ...(measure.help ? { help: row(9, "Start-up: zulip-auth --help", help, 0.3) } : {}),
    ...(measure.list ? { list: row(10, "Start-up: zulip-auth user list", list, 0.6) } : {}),
  };
}
