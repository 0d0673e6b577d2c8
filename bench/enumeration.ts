// No user enumeration by timing: the median latency of an unknown user's login over a wrong password's,
// measured alternately in one run. Goal 0.9–1.1. `npm run bench:enumeration [-- --requests N]`.
import { parseArgs } from "node:util";
import { BENCH_USER, median, startBenchServer, timeLogin } from "./lib.ts";

/** Runs `requests` of each kind, interleaved, and returns the two medians and their ratio. */
export async function measureEnumeration(url: string, requests: number) {
  const unknown: number[] = [];
  const wrong: number[] = [];
  for (let i = 0; i < 10; i++) await timeLogin(url, BENCH_USER.email, "warm-up-password"); // warm up
  for (let i = 0; i < requests; i++) {
    // Alternate which goes first so drift on a noisy machine falls on both sides.
    const pair = i % 2 === 0 ? ["u", "w"] : ["w", "u"];
    for (const kind of pair) {
      const r = kind === "u" ? await timeLogin(url, `nobody${i}@zulip.com`, "wrong-password-1") : await timeLogin(url, BENCH_USER.email, "wrong-password-1");
      if (r.status !== 401) throw new Error(`expected 401, got ${r.status}`);
      (kind === "u" ? unknown : wrong).push(r.ms);
    }
  }
  const medians = { unknownMs: median(unknown), wrongMs: median(wrong) };
  return { ...medians, ratio: medians.unknownMs / medians.wrongMs };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { requests: { type: "string", default: "300" } } });
  const server = await startBenchServer();
  try {
    const m = await measureEnumeration(server.url, Number(values.requests));
    console.log(`| unknown user median | wrong password median | ratio (goal 0.9–1.1) |`);
    console.log(`| --- | --- | --- |`);
    console.log(`| ${m.unknownMs.toFixed(2)} ms | ${m.wrongMs.toFixed(2)} ms | ${m.ratio.toFixed(3)} |`);
    process.exitCode = m.ratio >= 0.9 && m.ratio <= 1.1 ? 0 : 1;
  } finally {
    await server.close();
  }
}
