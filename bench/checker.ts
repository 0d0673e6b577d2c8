// Line 6: the wall time of a full `zulip-auth check` (issue 3's command line) against a local server with
// Zulip's default rate limit, which the checker exercises with a throwaway username. Said to be not measured,
// with the reason, where the checker is not part of this checkout or cannot run.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { BENCH_USER, median, ROOT, startBenchServer } from "./lib.ts";
import type { BenchContext } from "./settings.ts";
import { notMeasured, num, type Row } from "./table.ts";

const NAME = "Checker";
const GOAL = "≤ 2 s";
const GOAL_SECONDS = 2;

/** Measures line 6: `rounds` full checks, the median wall time. */
export async function checkerWallTime(ctx: BenchContext): Promise<Row> {
  if (!existsSync(join(ROOT, "src/checker"))) return notMeasured(6, NAME, GOAL, "the checker is not on this branch");
  const server = await startBenchServer({ hashParams: ctx.settings.hashParams, rateLimit: "5/1800" });
  try {
    const times: number[] = [];
    const codes: (number | null)[] = [];
    for (let round = 0; round < ctx.settings.rounds; round++) {
      ctx.progress(`6. checker: run ${round + 1} of ${ctx.settings.rounds}`);
      const started = performance.now();
      const { code, stderr } = await runCheck(server.url);
      // Exit 2 is bad usage or an unreachable server: no time to report.
      if (code !== 0 && code !== 1) return notMeasured(6, NAME, GOAL, `zulip-auth check exited ${code}: ${stderr.trim().split("\n")[0] ?? ""}`);
      times.push(performance.now() - started);
      codes.push(code);
    }
    const seconds = median(times) / 1000;
    return {
      id: 6,
      name: NAME,
      result: `${num(seconds, 2)} s wall time, full \`zulip-auth check\`, process start included`,
      against: codes.every((c) => c === 0) ? "conformant (exit 0)" : `violations reported (exit ${codes.join(", ")})`,
      ratio: "—",
      goal: GOAL,
      met: seconds <= GOAL_SECONDS,
    };
  } finally {
    await server.stop();
  }
}

async function runCheck(url: string): Promise<{ code: number | null; stderr: string }> {
  const env = { ...process.env, ZULIP_AUTH_BENCH_PASSWORD: BENCH_USER.password };
  const args = [join(ROOT, "dist/src/cli/bin.js"), "check", url, "--username", BENCH_USER.email, "--password-env", "ZULIP_AUTH_BENCH_PASSWORD", "--json"];
  const child = spawn(process.execPath, args, { env, stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d));
  const code = await new Promise<number | null>((resolve) => child.once("close", resolve));
  return { code, stderr };
}
