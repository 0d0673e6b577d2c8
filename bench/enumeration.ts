// Pair 4, no user enumeration by timing: the median latency of an unknown user's login, and of a wrong password
// for a user whose hash has older, cheaper parameters, each over a wrong password's (today's parameters),
// measured interleaved in one run, one request at a time. Goal 0.9–1.1 for both. Line 8 does the same for a
// deactivated user against a server run with --uniform-errors (both answer the same 401 there). Part of
// `npm run bench`; alone: `npm run bench:enumeration [-- --requests N]`.
import { parseArgs } from "node:util";
import type { HashParams } from "../src/auth/password-hasher.ts";
import { BENCH_USER, DEACTIVATED_USER, median, OLD_HASH_USER, startBenchServer, timeLogin } from "./lib.ts";
import type { BenchContext } from "./settings.ts";
import { num, type Row, renderTable } from "./table.ts";

/** One kind of refused login, timed against a wrong password for BENCH_USER. */
interface Subject {
  name: string;
  username: (i: number) => string;
  password: string;
}

const UNKNOWN: Subject = { name: "unknown user", username: (i) => `nobody${i}@zulip.com`, password: "wrong-password-1" };
const OLD_HASH: Subject = { name: "old-hash user", username: () => OLD_HASH_USER.email, password: "wrong-password-1" };
const DEACTIVATED: Subject = { name: "deactivated user", username: () => DEACTIVATED_USER.email, password: DEACTIVATED_USER.password };

/** Runs `requests` of each subject and of the wrong password, interleaved; returns the medians and ratios. */
async function measure(url: string, requests: number, subjects: Subject[]) {
  const times = subjects.map(() => [] as number[]);
  const wrong: number[] = [];
  for (let i = 0; i < 10; i++) await timeLogin(url, BENCH_USER.email, "warm-up-password"); // warm up
  for (let i = 0; i < requests; i++) {
    // Rotate which goes first so drift on a noisy machine falls on every side.
    const order = [-1, ...subjects.keys()];
    for (let k = 0; k < order.length; k++) {
      const which = order[(k + i) % order.length]!;
      const subject = subjects[which];
      const r = subject ? await timeLogin(url, subject.username(i), subject.password) : await timeLogin(url, BENCH_USER.email, "wrong-password-1");
      if (r.status !== 401) throw new Error(`expected 401, got ${r.status}`);
      (subject ? times[which]! : wrong).push(r.ms);
    }
  }
  const wrongMs = median(wrong);
  return { wrongMs, subjects: subjects.map((s, i) => ({ name: s.name, ms: median(times[i]!), ratio: median(times[i]!) / wrongMs })) };
}

/** Pair 4's medians: an unknown user and an old-hash user, each against a wrong password. */
export function measureEnumeration(url: string, requests: number) {
  return measure(url, requests, [UNKNOWN, OLD_HASH]);
}

/** Measures pair 4 as a line of the table. */
export async function enumerationRow(url: string, requests: number, progress: BenchContext["progress"] = () => {}): Promise<Row> {
  progress(`4. no enumeration by timing: ${requests} interleaved unknown-user / old-hash-user / wrong-password triples`);
  return timingRow(4, "No enumeration by timing", await measureEnumeration(url, requests), requests);
}

/** A line whose ratios are each refusal's median time over a wrong password's, each held to 0.9–1.1. */
function timingRow(id: number, name: string, m: Awaited<ReturnType<typeof measure>>, requests: number): Row {
  return {
    id,
    name,
    result: `${m.subjects.map((s) => `${num(s.ms, 2)} ms ${s.name}`).join(", ")} (medians of ${requests})`,
    against: `${num(m.wrongMs, 2)} ms wrong password`,
    ratio: m.subjects.map((s) => s.ratio.toFixed(3)).join(", "),
    goal: "0.9–1.1",
    met: m.subjects.every((s) => s.ratio >= 0.9 && s.ratio <= 1.1),
  };
}

/** Measures line 8 on a server of its own, run with --uniform-errors. */
export async function uniformErrorsRow(hashParams: HashParams | undefined, requests: number, progress: BenchContext["progress"] = () => {}): Promise<Row> {
  progress(`8. --uniform-errors: ${requests} interleaved deactivated-user / wrong-password pairs`);
  const server = await startBenchServer({ ...(hashParams ? { hashParams } : {}), extraArgs: ["--uniform-errors"] });
  try {
    return timingRow(8, "Deactivated user, --uniform-errors", await measure(server.url, requests, [DEACTIVATED]), requests);
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
