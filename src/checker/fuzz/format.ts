import type { FuzzBucket, FuzzReport } from "./report.ts";

/** A bucket in lines: the check and where, the message, the evidence, the count and how to replay it. */
export function formatBucket(b: FuzzBucket): string[] {
  return [
    `✗ ${b.check}  ${b.operationId} ${b.mutationClass} → ${b.status ?? "no answer"}${b.pointer ? ` at ${b.pointer}` : ""} (×${b.count})`,
    `  ${b.message}`,
    ...(b.expected === undefined ? [] : [`  expected: ${b.expected}`]),
    ...(b.actual === undefined ? [] : [`  actual:   ${b.actual}`]),
    `  ${b.example.shrunk ? `smallest found (${b.example.mutationClass})` : "example"}: ${b.example.repro}`,
    `  replay: --fuzz-seed ${b.replay.seed} (request ${b.replay.path})`,
  ];
}

/** The fuzz section of the readable report: phases, why it stopped, the buckets and the mutation coverage. */
export function formatFuzz(f: FuzzReport): string[] {
  if (f.plan) {
    const width = Math.max(...f.plan.map((p) => p.mutationClass.length));
    return [
      "",
      `Fuzz plan: ${f.budget} requests at most, seed ${f.seed}; nothing was sent (assuming email usernames and no development login)`,
      ...f.plan.map((p) => `  ${p.operationId.padEnd(18)} ${p.phase.padEnd(8)} ${p.mutationClass.padEnd(width)} ${p.requests}`),
      `  shrinking: at most 10 requests per failure and ${Math.floor(f.budget * 0.2)} in all, within the ${f.budget}`,
    ];
  }
  const out = [
    "",
    `Fuzzing: seed ${f.seed}, ${f.sent} of ${f.budget} requests (examples ${f.byPhase.examples}, matrix ${f.byPhase.matrix}, random ${f.byPhase.random}, shrink ${f.byPhase.shrink})${f.rate === null ? "" : `, ${f.rate} per second`}`,
    `  stopped: ${f.stopped.message}`,
    `  ${f.throwaways} throwaway usernames (at most 3 requests each); the account's username and password were never sent`,
  ];
  if (f.refusedByGuard > 0) out.push(`  the safety guard refused ${f.refusedByGuard} generated requests (not sent)`);
  for (const b of f.buckets) out.push(...formatBucket(b).map((l) => `  ${l}`));
  out.push("  Mutation classes (sent: statuses seen)");
  const width = Math.max(...f.coverage.map((c) => c.mutationClass.length));
  for (const c of f.coverage)
    out.push(`    ${c.mutationClass.padEnd(width)}  ${c.sent > 0 ? `${String(c.sent).padStart(4)}: ${c.statuses.join(" ")}` : `   0  ${c.reason ?? ""}`}`);
  return out;
}

/** The summary's fuzz line. */
export function fuzzSummary(f: FuzzReport): string {
  return f.plan
    ? `plan of ${f.budget} requests, none sent`
    : `${f.sent} requests, ${f.buckets.length} failure bucket${f.buckets.length === 1 ? "" : "s"}, seed ${f.seed}; ${f.stopped.message}`;
}
