// Line 7, the flood goal: while one valid account keeps 100 logins in flight with its right password, from 10
// addresses × 10 connections, a real user's login from another address completes in ≤ 2 s, every time. Every
// login rule is off, so only the hash queue's bounds (one argon2 per core and one more, a fair share per address
// and per user) protect the real user: the worst case. Part of `npm run bench`; alone:
// `node --import tsx bench/flood.ts [--logins N]`.
import { request } from "node:http";
import { parseArgs } from "node:util";
import { BENCH_USER, FLOOD_USER, median, sleep, startBenchServer, startScript } from "./lib.ts";
import type { BenchContext } from "./settings.ts";
import { num, type Row, renderTable } from "./table.ts";

/** Milliseconds one login from `from` takes, end to end, on a fresh connection. */
function timeLoginFrom(url: string, from: string, username: string, password: string): Promise<{ ms: number; status: number }> {
  const body = new URLSearchParams({ username, password }).toString();
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = request(
      `${url}/api/v1/fetch_api_key`,
      {
        method: "POST",
        localAddress: from,
        agent: false,
        headers: { "content-type": "application/x-www-form-urlencoded", "content-length": Buffer.byteLength(body) },
      },
      (res) => {
        res.resume();
        res.on("end", () => resolve({ ms: performance.now() - started, status: res.statusCode! }));
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

/** The flooding addresses: 10 loopback addresses, 10 connections each. */
const FLOOD_FROM = Array.from({ length: 10 }, (_, i) => `127.0.1.${i + 1}`);
const PER_ADDRESS = 10;

/** The real user's login times (ms) and answers during the flood, idle beforehand, and the flooder's answers by status. */
export async function measureFlood(url: string, logins: number) {
  const idle: number[] = [];
  for (let i = 0; i < 5; i++) idle.push((await timeLoginFrom(url, "127.0.0.3", BENCH_USER.email, BENCH_USER.password)).ms);
  const flood = await startScript("flood-load.ts", {
    url,
    from: FLOOD_FROM,
    perAddress: PER_ADDRESS,
    username: FLOOD_USER.email,
    password: FLOOD_USER.password,
  });
  const during: number[] = [];
  let succeeded = 0;
  try {
    await sleep(500); // the queue fills
    for (let i = 0; i < logins; i++) {
      const r = await timeLoginFrom(url, "127.0.0.3", BENCH_USER.email, BENCH_USER.password);
      if (r.status === 200) succeeded += 1;
      during.push(r.ms);
      await sleep(100);
    }
  } finally {
    await flood.stop();
  }
  // The last complete line of counts it printed.
  const lines = flood.output().split("\n").slice(1, -1);
  const flooder = JSON.parse(lines[lines.length - 1] ?? "{}") as Record<string, number>;
  return { idleMs: median(idle), medianMs: median(during), maxMs: Math.max(...during), succeeded, flooder };
}

/** Measures line 7 on a server of its own. */
export async function floodRow(ctx: Pick<BenchContext, "progress"> & { hashParams: BenchContext["settings"]["hashParams"]; logins: number }): Promise<Row> {
  ctx.progress(`7. flood: one valid account from ${FLOOD_FROM.length} addresses × ${PER_ADDRESS} connections, ${ctx.logins} real logins from another`);
  const server = await startBenchServer({ hashParams: ctx.hashParams });
  try {
    const m = await measureFlood(server.url, ctx.logins);
    const f = m.flooder;
    return {
      id: 7,
      name: "Real login during a flood",
      result:
        `${m.succeeded} of ${ctx.logins} real logins 200, slowest ${num(m.maxMs, 0)} ms (median ${num(m.medianMs, 0)} ms); ` +
        `flooder: ${f["200"] ?? 0} × 200, ${f["429"] ?? 0} × 429, ${f["503"] ?? 0} × 503`,
      against: `${num(m.idleMs, 0)} ms idle`,
      ratio: (m.maxMs / m.idleMs).toFixed(1),
      goal: "≤ 2 s, every time",
      met: m.succeeded === ctx.logins && m.maxMs <= 2000,
    };
  } finally {
    await server.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { logins: { type: "string", default: "30" } } });
  const { BENCH_HASH_PARAMS } = await import("./lib.ts");
  const row = await floodRow({ progress: (m) => process.stderr.write(m + "\n"), hashParams: BENCH_HASH_PARAMS, logins: Number(values.logins) });
  console.log(renderTable([row]));
  process.exitCode = row.met ? 0 : 1;
}
