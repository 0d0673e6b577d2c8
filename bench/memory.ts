// Pair 5: the server's resident memory after N mixed requests (every kind of answer, a few argon2 logins), and
// how much it grew over the second half: a leak grows with requests, a healthy heap levels off. A fresh
// server process, so the count of requests it has served is exactly N. RSS is read from outside (/proc or ps)
// every 200 ms while the load runs.

import { residentBytes, sleep, startBenchServer } from "./lib.ts";
import { expectStatuses, MIXED } from "./requests.ts";
import { type BenchContext, runLoad } from "./settings.ts";
import { mb, num, type Row } from "./table.ts";

/** The most the resident set may grow over the second half and still count as flat. */
export const FLAT_BYTES = 10e6;
const LIMIT_BYTES = 150e6;

/** Measures pair 5 against a server of its own. */
export async function memoryAfterMixed(ctx: BenchContext): Promise<Row> {
  const { settings } = ctx;
  const server = await startBenchServer({ hashParams: settings.hashParams });
  try {
    const half = Math.round(settings.memoryRequests / 2);
    const atStart = await residentBytes(server.pid);
    const run = async (which: string) => {
      ctx.progress(`5. memory: ${which} half, ${num(half)} mixed requests`);
      const samples: number[] = [];
      let running = true;
      const sampling = (async () => {
        while (running) {
          samples.push(await residentBytes(server.pid));
          await sleep(200);
        }
      })();
      const r = await runLoad({ url: server.url, requests: MIXED, connections: 8, amount: half, timeout: 30 });
      running = false;
      await sampling;
      expectStatuses("mixed requests", r, new Set(MIXED.map((m) => m.status)));
      // RSS swings with the garbage collector's cycles; a leak shows as a rising floor. The floor of a half is
      // the lowest reading of its later part, once the heap has grown to its working size.
      const later = samples.slice(Math.floor(samples.length / 2));
      return { floor: Math.min(...later), peak: Math.max(...samples) };
    };
    const first = await run("first");
    const second = await run("second");
    await sleep(500);
    const atEnd = await residentBytes(server.pid);
    const growth = second.floor - first.floor;
    return {
      id: 5,
      name: "Memory",
      result: `${mb(atEnd)} RSS after ${num(settings.memoryRequests)} mixed requests (${mb(atStart)} at start, peak ${mb(Math.max(first.peak, second.peak))})`,
      against: `${growth >= 0 ? "+" : "−"}${mb(Math.abs(growth))} over the second half (lowest RSS, half to half)`,
      ratio: "—",
      goal: `≤ 150 MB, flat (≤ +${mb(FLAT_BYTES)})`,
      met: atEnd <= LIMIT_BYTES && growth <= FLAT_BYTES,
    };
  } finally {
    await server.stop();
  }
}
