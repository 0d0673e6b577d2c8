// Pair 1: correct-password logins per second ÷ raw argon2 verifications per second, at the same parameters and
// concurrency. The hash runs in a plain Node process of its own while the server idles, so each side has the
// two cores to itself; autocannon's own cost on the login side is small (a few dozen requests per second).
import { alternate, median, runScript } from "./lib.ts";
import type { HashRate, HashRateInput } from "./hash-rate.ts";
import { expectStatuses, REQUESTS } from "./requests.ts";
import { runLoad, type BenchContext } from "./settings.ts";
import { num, type Row } from "./table.ts";

/** Measures pair 1. */
export async function loginVsHash(ctx: BenchContext): Promise<Row> {
  const { settings, server } = ctx;
  const login = async (seconds: number) => {
    const r = await runLoad({ url: server.url + REQUESTS.login.path, method: "POST", headers: REQUESTS.login.headers, body: REQUESTS.login.body, connections: settings.loginConcurrency, duration: seconds });
    expectStatuses("logins", r, [200]);
    return r.perSecond;
  };
  const hashes = async () => {
    const input: HashRateInput = { params: settings.hashParams, concurrency: settings.loginConcurrency, seconds: settings.seconds };
    return (await runScript<HashRate>("hash-rate.ts", input)).perSecond;
  };
  ctx.progress("1. login vs the hash: warming up");
  await login(1);
  ctx.progress(`1. login vs the hash: ${settings.rounds} × ${settings.seconds} s each side`);
  const { a, b } = await alternate(settings.rounds, () => login(settings.seconds), hashes);
  const ratio = median(a) / median(b);
  return {
    id: 1,
    name: "Login vs the hash",
    result: `${num(median(a), 1)} logins/s`,
    against: `${num(median(b), 1)} argon2 verifies/s`,
    ratio: ratio.toFixed(2),
    goal: "≥ 0.90",
    met: ratio >= 0.9,
  };
}
