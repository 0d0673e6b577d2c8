import { create } from "xmlbuilder2";
import { formatFinding } from "./format-human.ts";
import { FUZZ_CHECK_IDS, FUZZ_CHECKS, type FuzzCheckId } from "./fuzz/checks.ts";
import { formatBucket, formatFuzz } from "./fuzz/format.ts";
import type { FuzzReport } from "./fuzz/report.ts";
import type { CheckReport } from "./report.ts";

const seconds = (ms: number) => (ms / 1000).toFixed(3);

/**
 * The report as JUnit XML, one testcase per case: a failure lists the case's findings, a case not checked is
 * skipped with its reason; the coverage table goes in the suite's system-out.
 */
export function formatJunit(report: CheckReport): string {
  const s = report.summary;
  const counts = {
    tests: String(s.cases.total),
    failures: String(s.cases.failed),
    errors: "0",
    skipped: String(s.cases.notChecked),
    time: seconds(report.durationMs),
  };
  // A server may answer with characters XML 1.0 cannot carry; they are replaced rather than breaking the file.
  const doc = create({ version: "1.0", encoding: "UTF-8", invalidCharReplacement: "\uFFFD" });
  const suites = doc.ele("testsuites", { name: "zulip-auth check", ...counts });
  const suite = suites.ele("testsuite", { name: `zulip-auth check ${report.target.baseUrl}`, ...counts, timestamp: report.startedAt.replace(/\.\d+Z$/, "") });
  const properties = suite.ele("properties");
  for (const [name, value] of [
    ["baseUrl", report.target.baseUrl],
    ["username", report.target.username],
    ["contract", `${report.contract.file} ${report.contract.version}`],
    ["status", report.status],
    ["level", report.judgedAgainst.level],
    ["zulipVersion", report.judgedAgainst.zulipVersion ?? "unknown"],
    ["featureLevel", String(report.judgedAgainst.featureLevel ?? "unknown")],
    ...report.clients.map((c) => [`client.${c.client.split(" ")[0]}`, c.verdict]),
  ]) {
    properties.ele("property", { name, value });
  }
  for (const result of report.cases) {
    const testcase = suite.ele("testcase", { classname: `zulip-auth.${result.id.split(".")[0]}`, name: result.id, time: seconds(result.durationMs) });
    if (result.outcome === "failed") {
      const ids = [...new Set(result.findings.map((f) => f.id))];
      testcase
        .ele("failure", { type: ids.join(","), message: result.findings.map((f) => `${f.id}: ${f.message}`).join("; ") })
        .txt(result.findings.map((f) => formatFinding(f).join("\n")).join("\n\n"));
    } else if (result.outcome === "not-checked") {
      testcase.ele("skipped", { message: result.reason ?? "not checked" });
    }
    const out = [
      result.title,
      ...result.notes.map((n) => `note: ${n}`),
      ...result.exchanges.map((e) => `${e.method} ${e.path} → ${e.status ?? "no answer"}${e.label ? ` (${e.label})` : ""}\n  ${e.repro}`),
    ];
    testcase.ele("system-out").txt(out.join("\n"));
  }
  const coverage = report.coverage.map((c) => `${c.operationId} ${c.status} ${c.state}${c.reason ? ` — ${c.reason}` : ""}`);
  const clients = report.clients.map(
    (c) =>
      `${c.client}: ${c.verdict}${c.problems.length > 0 ? ` — ${c.problems.join("; ")}` : ""}${c.evidence.length > 0 ? ` (seen: ${c.evidence.join("; ")})` : ""}`,
  );
  suite
    .ele("system-out")
    .txt(
      [
        report.unreachable ? `unreachable: ${report.unreachable}` : "",
        report.stopped ? `stopped (${report.status}): ${report.stopped.message}` : "",
        "coverage (operation × declared status):",
        ...coverage,
        ...(clients.length > 0 ? ["clients:", ...clients] : []),
      ]
        .filter(Boolean)
        .join("\n"),
    );
  // Advisories pass (they never change the exit code) but stay visible to CI, each with its severity.
  if (report.advisories.length > 0) {
    const advisories = suites.ele("testsuite", {
      name: "zulip-auth check advisories",
      tests: String(report.advisories.length),
      failures: "0",
      errors: "0",
      skipped: "0",
      time: "0.000",
    });
    for (const a of report.advisories) {
      const testcase = advisories.ele("testcase", { classname: `zulip-auth.advisory.${a.severity}`, name: a.id, time: "0.000" });
      testcase.ele("properties").ele("property", { name: "severity", value: a.severity });
      testcase
        .ele("system-out")
        .txt(
          `${a.severity}: ${a.advice}\nseen ${a.count}× in ${a.caseIds.join(", ")}\n${a.evidence.method} ${a.evidence.path} → ${a.evidence.status}: ${a.evidence.message}\n  ${a.evidence.repro}`,
        );
    }
  }
  if (report.fuzz) fuzzSuite(suites, report.fuzz);
  return doc.end({ prettyPrint: true }) + "\n";
}

/** The fuzz section: one testcase per fuzz check (failed with its buckets, skipped when not selected), the run's figures as properties. */
function fuzzSuite(suites: ReturnType<ReturnType<typeof create>["ele"]>, f: FuzzReport): void {
  const failed = FUZZ_CHECK_IDS.filter((id) => f.buckets.some((b) => b.check === id));
  // A check that judged no request is not a pass: not selected, a plan, or no fuzz request sent at all.
  const skipReason = (id: FuzzCheckId) =>
    !f.checks.includes(id)
      ? "not selected with --only or --skip"
      : f.plan
        ? "--fuzz-plan sends nothing"
        : f.sent === 0
          ? `no fuzz request was sent: ${f.stopped.message}`
          : undefined;
  const skipped = FUZZ_CHECK_IDS.filter((id) => skipReason(id) !== undefined);
  const suite = suites.ele("testsuite", {
    name: "zulip-auth check fuzz",
    tests: String(FUZZ_CHECK_IDS.length),
    failures: String(failed.length),
    errors: "0",
    skipped: String(skipped.length),
    time: "0.000",
  });
  const properties = suite.ele("properties");
  for (const [name, value] of [
    ["seed", String(f.seed)],
    ["budget", String(f.budget)],
    ["sent", String(f.sent)],
    ...Object.entries(f.byPhase).map(([phase, n]) => [`phase.${phase}`, String(n)]),
    ["stopped", `${f.stopped.kind}: ${f.stopped.message}`],
    ["buckets", String(f.buckets.length)],
  ]) {
    properties.ele("property", { name, value });
  }
  for (const id of FUZZ_CHECK_IDS) {
    const testcase = suite.ele("testcase", { classname: "zulip-auth.fuzz", name: id, time: "0.000" });
    const buckets = f.buckets.filter((b) => b.check === id);
    const reason = skipReason(id);
    if (reason !== undefined) testcase.ele("skipped", { message: reason });
    else if (buckets.length > 0) {
      testcase
        .ele("failure", { type: id, message: buckets.map((b) => `${b.mutationClass} → ${b.status ?? "no answer"}: ${b.message}`).join("; ") })
        .txt(buckets.map((b) => formatBucket(b).join("\n")).join("\n\n"));
    }
    testcase.ele("system-out").txt(FUZZ_CHECKS[id]);
  }
  suite.ele("system-out").txt(formatFuzz(f).join("\n").trim());
}
