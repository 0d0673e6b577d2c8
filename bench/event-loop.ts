// Pair 3: p99 latency of server_settings at a gentle fixed rate while correct-password logins saturate the hash,
// against the same probe on an idle server. The hash runs on libuv's threads; this shows whether the event
// loop still answers promptly when every core is busy hashing.
import { alternate, median, sleep } from "./lib.ts";
import type { LoadResult } from "./load.ts";
import { expectStatuses, REQUESTS } from "./requests.ts";
import { type BenchContext, runLoad } from "./settings.ts";
import { num, type Row } from "./table.ts";

/** Measures pair 3. */
export async function eventLoopUnderLoad(ctx: BenchContext): Promise<Row> {
  const { settings, server } = ctx;
  const probe = async () => {
    const r = await runLoad({
      url: server.url + REQUESTS.serverSettings.path,
      connections: 1,
      overallRate: settings.probeRate,
      duration: settings.seconds,
      // Each latency as measured: the probe's rate is far below what the server sustains.
      ignoreCoordinatedOmission: true,
    });
    expectStatuses("server_settings probe", r, [200]);
    return r;
  };
  const underLoad = async () => {
    // The logins start first and end after the probe: both children take about the same time to start.
    const logins = runLoad({
      url: server.url + REQUESTS.login.path,
      method: "POST",
      headers: REQUESTS.login.headers,
      body: REQUESTS.login.body,
      connections: settings.loginConcurrency,
      duration: settings.seconds + 2,
    });
    await sleep(1_000);
    const r = await probe();
    const l: LoadResult = await logins;
    expectStatuses("logins", l, [200]);
    return { probe: r, loginsPerSecond: l.perSecond };
  };
  ctx.progress(`3. event loop under load: ${settings.rounds} × ${settings.seconds} s, under load and idle`);
  const { a, b } = await alternate(settings.rounds, underLoad, probe);
  const loaded = median(a.map((r) => r.probe.latencyMs.p99));
  const idle = median(b.map((r) => r.latencyMs.p99));
  return {
    id: 3,
    name: "Event loop under load",
    result: `p99 ${num(loaded, 1)} ms (p50 ${num(median(a.map((r) => r.probe.latencyMs.p50)), 1)} ms) while ${num(median(a.map((r) => r.loginsPerSecond)), 1)} logins/s saturate the hash`,
    against: `p99 ${num(idle, 1)} ms idle`,
    ratio: "—",
    goal: "≤ 20 ms",
    met: loaded <= 20,
  };
}
