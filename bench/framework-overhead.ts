// Pair 2: server_settings requests per second ÷ a bare node:http server replaying the same answer (status,
// headers, bytes). Both sides get the same autocannon process and options, so the load generator's own CPU
// (it shares the two cores with the server under test) costs both sides alike and cancels in the ratio; the
// servers' CPU use is recorded to show it was the server, not the generator, that was at its limit.
import { DEFAULT_CONFIG } from "../src/server/config.ts";
import type { BareResponse } from "./bare-server.ts";
import { alternate, type BenchChild, cpuSeconds, median, startScript } from "./lib.ts";
import { expectStatuses, REQUESTS } from "./requests.ts";
import { type BenchContext, runLoad } from "./settings.ts";
import { num, type Row } from "./table.ts";

// node:http adds these itself, on both sides.
const TRANSPORT_HEADERS = new Set(["date", "connection", "keep-alive", "content-length", "transfer-encoding"]);

/**
 * Starts bench/bare-server.ts replaying the server_settings answer of the server at `url` (its status, headers
 * and bytes), with `nodeArgs` on node's command line, once it answers the same bytes.
 */
export async function startBareServer(url: string, nodeArgs: string[] = []): Promise<BenchChild> {
  const path = REQUESTS.serverSettings.path;
  const real = await fetch(url + path);
  const body = Buffer.from(await real.arrayBuffer());
  const headers = Object.fromEntries([...real.headers].filter(([name]) => !TRANSPORT_HEADERS.has(name)));
  const answer: BareResponse = {
    status: real.status,
    headers,
    bodyBase64: body.toString("base64"),
    headersTimeoutMs: DEFAULT_CONFIG.headersTimeoutMs,
    requestTimeoutMs: DEFAULT_CONFIG.requestTimeoutMs,
  };
  const bare = await startScript("bare-server.ts", answer, nodeArgs);
  // The realm URL in the body names the real server's port: the bare one replays it byte for byte anyway.
  const replay = Buffer.from(await (await fetch(bare.firstLine.trim() + path)).arrayBuffer());
  if (!replay.equals(body)) {
    await bare.stop();
    throw new Error("the bare server does not answer the same bytes");
  }
  return bare;
}

/** One side's throughput and the share of one core its server process used meanwhile. */
interface Throughput {
  perSecond: number;
  serverCores: number | undefined;
}

/** Measures pair 2; `notes` receives the CPU accounting. */
export async function frameworkOverhead(ctx: BenchContext, notes: string[]): Promise<Row> {
  const { settings, server } = ctx;
  const path = REQUESTS.serverSettings.path;
  const bare = await startBareServer(server.url);
  try {
    const bareUrl = bare.firstLine.trim();

    const measure = async (url: string, pid: number, seconds: number): Promise<Throughput> => {
      const cpuBefore = cpuSeconds(pid);
      const r = await runLoad({ url: url + path, connections: settings.connections, duration: seconds });
      const cpuAfter = cpuSeconds(pid);
      expectStatuses("server_settings", r, [200]);
      return { perSecond: r.perSecond, serverCores: cpuBefore === undefined || cpuAfter === undefined ? undefined : (cpuAfter - cpuBefore) / r.seconds };
    };
    ctx.progress("2. framework overhead: warming up");
    await measure(server.url, server.pid, 1);
    await measure(bareUrl, bare.pid, 1);
    ctx.progress(`2. framework overhead: ${settings.rounds} × ${settings.seconds} s each side`);
    const { a, b } = await alternate(
      settings.rounds,
      () => measure(server.url, server.pid, settings.seconds),
      () => measure(bareUrl, bare.pid, settings.seconds),
    );
    const ours = median(a.map((t) => t.perSecond));
    const limit = median(b.map((t) => t.perSecond));
    const cores = (ts: Throughput[]) => (ts.every((t) => t.serverCores !== undefined) ? median(ts.map((t) => t.serverCores!)) : undefined);
    const [oursCores, bareCores] = [cores(a), cores(b)];
    if (oursCores !== undefined && bareCores !== undefined) {
      const perRequest = (cores: number, rate: number) => (cores / rate) * 1e6;
      const [oursUs, bareUs] = [perRequest(oursCores, ours), perRequest(bareCores, limit)];
      notes.push(
        `Pair 2, CPU: the zulip-auth process used ${oursCores.toFixed(2)} of a core (${num(oursUs)} µs per request), the bare server ` +
          `${bareCores.toFixed(2)} (${num(bareUs, 1)} µs per request; CPU ratio ${(bareUs / oursUs).toFixed(2)}). A server's event loop is one ` +
          `thread: well below 1.0 means it was not the limit (autocannon, or other processes on the machine, were).`,
      );
    }
    const ratio = ours / limit;
    return {
      id: 2,
      name: "Framework overhead",
      result: `${num(ours)} server_settings/s`,
      against: `${num(limit)} req/s, bare node:http, same bytes`,
      ratio: ratio.toFixed(2),
      goal: "≥ 0.85",
      met: ratio >= 0.85,
    };
  } finally {
    await bare.stop();
  }
}
