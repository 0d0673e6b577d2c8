// Pair 4, no user enumeration by timing: the median latency of an unknown user's login over a wrong password's,
// measured alternately in one run, one request at a time. Goal 0.9–1.1. Line 8 does the same for a deactivated
// user against a server run with --uniform-errors (both answer the same 401 there). Part of `npm run bench`;
// alone: `npm run bench:enumeration [-- --requests N]`.
import { parseArgs } from "node:util";
import type { HashParams } from "../src/auth/password-hasher.ts";
import { BENCH_USER, DEACTIVATED_USER, median, startBenchServer, timeLogin } from "./lib.ts";
import type { BenchContext } from "./settings.ts";
import { num, renderTable, type Row } from "./table.ts";

/** Runs `requests` of each kind, interleaved, and returns the two medians and their ratio. */
export async function measureEnumeration(url: string, requests: number) {
  return measurePair(url, requests, (i) => `nobody${i}@zulip.com`);
}

/** The same for a deactivated user's login (with its right password) against a wrong password's. */
export async function measureDeactivated(url: string, requests: number) {
  return measurePair(url, requests, () => DEACTIVATED_USER.email, DEACTIVATED_USER.password);
}

async function measurePair(url: string, requests: number, other: (i: number) => string, otherPassword = "wrong-password-1") {
  const unknown: number[] = [];
  const wrong: number[] = [];
  for (let i = 0; i < 10; i++) await timeLogin(url, BENCH_USER.email, "warm-up-password"); // warm up
  for (let i = 0; i < requests; i++) {
    // Alternate which goes first so drift on a noisy machine falls on both sides.
    const pair = i % 2 === 0 ? ["u", "w"] : ["w", "u"];
    for (const kind of pair) {
      const r = kind === "u" ? await timeLogin(url, other(i), otherPassword) : await timeLogin(url, BENCH_USER.email, "wrong-password-1");
      if (r.status !== 401) throw new Error(`expected 401, got ${r.status}`);
      (kind === "u" ? unknown : wrong).push(r.ms);
    }
  }
  const medians = { unknownMs: median(unknown), wrongMs: median(wrong) };
  return { ...medians, ratio: medians.unknownMs / medians.wrongMs };
}

/** Measures pair 4 as a line of the table. */
export async function enumerationRow(url: string, requests: number, progress: BenchContext["progress"] = () => {}): Promise<Row> {
  progress(`4. no enumeration by timing: ${requests} interleaved pairs`);
  return timingRow(4, "No enumeration by timing", "unknown user", await measureEnumeration(url, requests), requests);
}

/** A line whose ratio is a refusal's median time over a wrong password's, held to 0.9–1.1. */
function timingRow(id: number, name: string, subject: string, m: { unknownMs: number; wrongMs: number; ratio: number }, requests: number): Row {
  return {
    id,
    name,
    result: `${num(m.unknownMs, 2)} ms ${subject} (median of ${requests})`,
    against: `${num(m.wrongMs, 2)} ms wrong password`,
    ratio: m.ratio.toFixed(3),
    goal: "0.9–1.1",
    met: m.ratio >= 0.9 && m.ratio <= 1.1,
  };
}

/** Measures line 8 on a server of its own, run with --uniform-errors. */
export async function uniformErrorsRow(hashParams: HashParams | undefined, requests: number, progress: BenchContext["progress"] = () => {}): Promise<Row> {
  progress(`8. --uniform-errors: ${requests} interleaved deactivated-user / wrong-password pairs`);
  const server = await startBenchServer({ ...(hashParams ? { hashParams } : {}), extraArgs: ["--uniform-errors"] });
  try {
    return timingRow(8, "Deactivated user, --uniform-errors", "deactivated user", await measureDeactivated(server.url, requests), requests);
  } finally {
    await server.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { requests: { type: "string", default: "300" } } });
  const server = await startBenchServer();
  try {
    const row = await enumerationRow(server.url, Number(values.requests));
    await server.stop();
    const uniform = await uniformErrorsRow(undefined, Number(values.requests));
    console.log(renderTable([row, uniform]));
    process.exitCode = row.met && uniform.met ? 0 : 1;
  } finally {
    await server.stop();
  }
}
