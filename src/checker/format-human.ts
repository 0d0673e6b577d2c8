import { CASE_IDS } from "./cases/index.ts";
import type { Finding } from "./finding.ts";
import { formatBucket, formatFuzz, fuzzSummary } from "./fuzz/format.ts";
import { type CaseResult, type CheckReport, type CoverageRow, EXIT_CODES, type JudgedAgainst } from "./report.ts";

const LABEL = { passed: "PASS", failed: "FAIL", "not-checked": "SKIP" } as const;
const ID_WIDTH = Math.max(...CASE_IDS.map((id) => id.length));

/** The first lines of a report: what is checked, against what. */
export function formatHeader(target: { baseUrl: string; username: string }, contract: { file: string; version: string }, judged: JudgedAgainst): string {
  const level =
    judged.level === "strict" ? "strict level (Zulip and zulip-auth's own promises)" : "Zulip level (use --strict for zulip-auth's own promises too)";
  const version =
    judged.zulipVersion === null ? "an unknown Zulip version" : `Zulip ${judged.zulipVersion} (feature level ${judged.featureLevel ?? "unknown"})`;
  return `zulip-auth check ${target.baseUrl} as ${target.username}\nagainst ${contract.file} (version ${contract.version}), ${level}\njudged as ${version}\n\n`;
}

/** One line for a case, then its findings, notes or reason underneath. */
export function formatCase(result: CaseResult): string {
  const lines = [
    `${LABEL[result.outcome]}  ${result.id.padEnd(ID_WIDTH)}  ${result.title}${result.outcome === "not-checked" ? "" : `  (${result.durationMs} ms)`}`,
  ];
  if (result.reason) lines.push(`      ${result.reason}`);
  for (const note of result.notes) lines.push(`      note: ${note}`);
  for (const finding of result.findings) lines.push(...formatFinding(finding).map((l) => `      ${l}`));
  return lines.join("\n") + "\n";
}

/** A finding's evidence, one fact a line. */
export function formatFinding(f: Finding): string[] {
  const where = `${f.specFile}${f.specLine === undefined ? "" : `:${f.specLine}`} ${f.specPointer}`;
  const lines = [
    `✗ ${f.id}${f.kind === "security" ? " (security)" : ""}: ${f.message}`,
    `    ${f.operationId}  ${f.method} ${f.path} → ${f.status ?? "no answer"}`,
    `    response: ${f.responsePointer === "" ? "(whole answer)" : f.responsePointer}`,
    `    contract: ${where}`,
  ];
  if (f.expected !== undefined) lines.push(`    expected: ${oneLine(f.expected)}`);
  if (f.actual !== undefined) lines.push(`    actual:   ${oneLine(f.actual)}`);
  lines.push(`    repro:    ${f.repro}`);
  return lines;
}

/** The one line of a run that stopped before its cases, or undefined when it ran them. */
export function formatStop(report: CheckReport): string | undefined {
  const code = EXIT_CODES[report.status];
  if (report.status === "unreachable") return `UNREACHABLE: cannot reach the server: ${report.unreachable}. Nothing was checked (exit ${code})\n`;
  if (!report.stopped) return undefined;
  return `${STOP_HEADLINE[report.status as keyof typeof STOP_HEADLINE]}: ${report.stopped.message} (exit ${code})\n`;
}

const STOP_HEADLINE = {
  "not-zulip": "NOT A ZULIP SERVER",
  "no-organisation": "NO ORGANISATION HERE",
  "password-refused": "PASSWORD REFUSED",
  "rate-limited": "RATE LIMITED",
} as const;

/** The closing verdict line. */
export function formatVerdict(report: CheckReport): string {
  const s = report.summary;
  const buckets = report.fuzz?.buckets.length ?? 0;
  const fuzz = buckets > 0 ? `${s.findings.total > 0 ? " and " : ""}${buckets} fuzz failure bucket${buckets === 1 ? "" : "s"}` : "";
  const cases =
    s.findings.total > 0 || buckets === 0
      ? `${s.findings.total} finding${s.findings.total === 1 ? "" : "s"} in ${s.cases.failed} case${s.cases.failed === 1 ? "" : "s"}`
      : "";
  return report.status === "conformant" ? "CONFORMANT: no violation found (exit 0)" : `NOT CONFORMANT: ${cases}${fuzz} (exit 1)`;
}

/** The coverage table (operation × declared status), the reasons for the gaps, and the summary. */
export function formatFooter(report: CheckReport): string {
  const out: string[] = [];
  const stop = formatStop(report);
  if (stop !== undefined) return stop;
  if (report.fuzz?.plan) return `${formatFuzz(report.fuzz).join("\n").trimStart()}\n`;
  out.push("", "Coverage: operation × declared status (✓ observed, · not observed, ! observed but not declared)");
  const operations = [...new Set(report.coverage.map((c) => c.operationId))];
  const width = Math.max(...operations.map((o) => o.length));
  const mark = { observed: "✓", "not-observed": "·", undeclared: "!" } as const;
  for (const op of operations) {
    const rows = report.coverage.filter((c) => c.operationId === op);
    out.push(`  ${op.padEnd(width)}  ${rows[0]!.method.padEnd(4)} ${rows.map((c) => `${c.status} ${mark[c.state]}`).join("  ")}`);
  }
  const gaps = report.coverage.filter((c): c is CoverageRow & { reason: string } => c.state === "not-observed" && c.reason !== undefined);
  if (gaps.length > 0) {
    out.push("  not observed:");
    for (const c of gaps) out.push(`    ${c.operationId} ${c.status}: ${c.reason}`);
  }
  const undeclared = report.coverage.filter((c) => c.state === "undeclared");
  if (undeclared.length > 0) {
    out.push("  observed but not declared (a status-undeclared violation):");
    for (const c of undeclared) out.push(`    ${c.operationId} ${c.status}: seen by ${c.seenBy.join(", ")}`);
  }

  if (report.advisories.length > 0) {
    out.push("", "Advisories: Zulip behaviour weaker than best practice (no effect on the exit code)");
    for (const a of report.advisories) {
      out.push(`  ${a.severity.toUpperCase().padEnd(6)} ${a.id}: ${a.advice} (${a.count} answer${a.count === 1 ? "" : "s"}; ${a.caseIds.join(", ")})`);
      out.push(
        `         e.g. ${a.evidence.method} ${a.evidence.path} → ${a.evidence.status}: ${a.evidence.message}; strict promise at ${a.evidence.specFile}${a.evidence.specLine === undefined ? "" : `:${a.evidence.specLine}`}`,
      );
    }
  }
  if (report.clients.length > 0) {
    out.push("", "Clients: can a real Zulip client log in to this server?");
    const width = Math.max(...report.clients.map((c) => c.client.length));
    for (const c of report.clients) {
      out.push(`  ${c.client.padEnd(width)}  ${c.verdict.padEnd(7)}  ${c.problems.length > 0 ? c.problems.join("; ") : `needs ${c.needs}`}`);
      if (c.evidence.length > 0) out.push(`  ${"".padEnd(width)}           seen: ${c.evidence.join("; ")}`);
    }
  }

  if (report.fuzz) out.push(...formatFuzz(report.fuzz));

  const s = report.summary;
  const byId = Object.entries(s.findings.byId)
    .map(([id, n]) => `${id} ×${n}`)
    .join(", ");
  out.push(
    "",
    "Summary",
    `  cases     ${s.cases.passed} passed, ${s.cases.failed} failed, ${s.cases.notChecked} not checked (of ${s.cases.total})`,
    `  findings  ${s.findings.total}${s.findings.total > 0 ? ` (${s.findings.contract} contract, ${s.findings.expectation} expectation, ${s.findings.security} security): ${byId}` : ""}`,
    `  coverage  ${s.coverage.observed} of ${s.coverage.declared} declared statuses observed, ${s.coverage.notObserved} not observed, ${s.coverage.undeclared} observed but not declared`,
    `  requests  ${s.requests} in ${(report.durationMs / 1000).toFixed(1)} s`,
    `  account   ${plural(s.account.failedLogins, "failed login")} (of at most ${s.account.failedBudget}), ${plural(s.account.successfulLogins, "successful login")} (of at most ${s.account.successfulBudget}) spent on ${report.target.username}`,
    ...(report.fuzz ? [`  fuzz      ${fuzzSummary(report.fuzz)}`] : []),
    `  advisory  ${report.advisories.length === 0 ? "none" : report.advisories.map((a) => `${a.id} (${a.severity})`).join(", ")}`,
    "",
    formatVerdict(report),
  );
  return out.join("\n") + "\n";
}

/** Only the findings, then the verdict line (`check --quiet`); a stopped run is its one line. */
export function formatQuiet(report: CheckReport): string {
  const stop = formatStop(report);
  if (stop !== undefined) return stop;
  const findings = report.cases.flatMap((c) => c.findings.flatMap((f) => [`${c.id}`, ...formatFinding(f).map((l) => `  ${l}`)]));
  const buckets = (report.fuzz?.buckets ?? []).flatMap((b) => ["fuzz", ...formatBucket(b).map((l) => `  ${l}`)]);
  return [...findings, ...buckets, formatVerdict(report)].join("\n") + "\n";
}

/** The whole report for a person, as `zulip-auth check` prints it. */
export function formatHuman(report: CheckReport): string {
  if (report.status === "not-zulip" || report.status === "unreachable" || report.status === "no-organisation") return formatFooter(report);
  const cases = report.stopped ? "" : report.cases.map(formatCase).join("");
  return formatHeader(report.target, report.contract, report.judgedAgainst) + cases + formatFooter(report);
}

const plural = (n: number, what: string) => `${n} ${what}${n === 1 ? "" : "s"}`;

function oneLine(text: string): string {
  return text.replace(/\r?\n/g, "\\n");
}
