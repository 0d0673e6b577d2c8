// Pair 1: correct-password logins per second ÷ raw argon2 verifications per second, at the same parameters and
// concurrency. The hash runs in a plain Node process of its own while the server idles, so each side has the
// two cores to itself; autocannon's own cost on the login side is small (a few dozen requests per second).

import type { HashRate, HashRateInput } from "./hash-rate.ts";
import { alternate, cpuSeconds, median, runScript } from "./lib.ts";
import { expectStatuses, REQUESTS } from "./requests.ts";
import { type BenchContext, runLoad } from "./settings.ts";
import { num, type Row } from "./table.ts";

/** Measures pair 1. */
export async function loginVsHash(ctx: BenchContext, notes: string[]): Promise<Row> {
  const { settings, server } = ctx;
  const login = async (seconds: number) => {
    const cpuBefore = cpuSeconds(server.pid);
    const r = await runLoad({
      url: server.url + REQUESTS.login.path,
      method: "POST",
      headers: REQUESTS.login.headers,
      body: REQUESTS.login.body,
      connections: settings.loginConcurrency,
      duration: seconds,
    });
    const cpuAfter = cpuSeconds(server.pid);
    expectStatuses("logins", r, [200]);
    return { perSecond: r.perSecond, cpuPerOp: cpuBefore === undefined || cpuAfter === undefined ? undefined : (cpuAfter - cpuBefore) / r.completed };
  };
  const hashes = async () => {
    const input: HashRateInput = { params: settings.hashParams, concurrency: settings.loginConcurrency, seconds: settings.seconds };
    const r = await runScript<HashRate>("hash-rate.ts", input);
    return { perSecond: r.perSecond, cpuPerOp: r.cpuSeconds / r.verifies };
  };
  ctx.progress("1. login vs the hash: warming up");
  await login(1);
  ctx.progress(`1. login vs the hash: ${settings.rounds} × ${settings.seconds} s each side`);
  const { a, b } = await alternate(settings.rounds, () => login(settings.seconds), hashes);
  const [logins, verifies] = [median(a.map((r) => r.perSecond)), median(b.map((r) => r.perSecond))];
  const ratio = logins / verifies;
  if (a.every((r) => r.cpuPerOp !== undefined)) {
    const [loginCpu, verifyCpu] = [median(a.map((r) => r.cpuPerOp!)), median(b.map((r) => r.cpuPerOp))];
    notes.push(
      `Pair 1, CPU time per operation (all threads; less swayed than throughput by other processes on the machine): ` +
        `${num(loginCpu * 1e3, 2)} ms per login in the server, ${num(verifyCpu * 1e3, 2)} ms per raw verify (ratio ${(verifyCpu / loginCpu).toFixed(2)}).`,
    );
  }
  return {
    id: 1,
    name: "Login vs the hash",
    result: `${num(logins, 1)} logins/s`,
    against: `${num(verifies, 1)} argon2 verifies/s`,
    ratio: ratio.toFixed(2),
    goal: "≥ 0.90",
    met: ratio >= 0.9,
  };
}
