import { CONTRACT_CHECK_IDS, EXPECTATION_KINDS } from "./finding.ts";

function counts<const N extends string>(...names: N[]) {
  return {
    type: "object",
    additionalProperties: false,
    required: names,
    properties: Object.fromEntries(names.map((n) => [n, { type: "integer", minimum: 0 }])) as Record<N, { type: "integer"; minimum: 0 }>,
  } as const;
}

/** What a finding and an advisory's evidence say about the answer behind them. */
const EVIDENCE_PROPERTIES = {
  operationId: { type: "string" },
  method: { type: "string" },
  path: { type: "string" },
  status: { type: ["integer", "null"] },
  message: { type: "string" },
  responsePointer: { type: "string" },
  specPointer: { type: "string", pattern: "^#" },
  specFile: { type: "string" },
  specLine: { type: "integer", minimum: 1 },
  expected: { type: "string" },
  actual: { type: "string" },
  repro: { type: "string", pattern: "^curl " },
} as const;

/**
 * The JSON Schema (2020-12) of the document `zulip-auth check --json` prints (a CheckReport). Closed objects:
 * a field added to the report must be added here, and the tests validate real reports against it.
 */
export const CHECK_REPORT_SCHEMA = {
  $schema: "https://json-schema.org/draft/2020-12/schema",
  $id: "https://github.com/zulip-auth/zulip-auth/check-report.schema.json",
  title: "zulip-auth check report",
  type: "object",
  additionalProperties: false,
  required: ["tool", "contract", "target", "startedAt", "durationMs", "status", "judgedAgainst", "summary", "cases", "coverage", "advisories", "clients"],
  properties: {
    tool: { const: "zulip-auth check" },
    contract: {
      type: "object",
      additionalProperties: false,
      required: ["file", "version"],
      properties: { file: { type: "string" }, version: { type: "string" } },
    },
    target: {
      type: "object",
      additionalProperties: false,
      required: ["baseUrl", "apiUrl", "username"],
      properties: { baseUrl: { type: "string" }, apiUrl: { type: "string" }, username: { type: "string" } },
    },
    startedAt: { type: "string", format: "date-time" },
    durationMs: { type: "integer", minimum: 0 },
    status: {
      enum: ["conformant", "violations", "password-refused", "rate-limited", "not-zulip", "unreachable", "no-organisation"],
      description: "exit code 0, 1, 3, 4, 5, 6, 7",
    },
    unreachable: { type: "string", description: "why the server could not be reached (status unreachable only)" },
    stopped: {
      type: "object",
      additionalProperties: false,
      required: ["message", "answered"],
      description: "why the run stopped before its cases (statuses password-refused, rate-limited, not-zulip, no-organisation)",
      properties: {
        message: { type: "string" },
        answered: { type: "string" },
        retryAfterSeconds: { type: "integer", minimum: 0 },
        retryAt: { type: "string", format: "date-time" },
      },
    },
    judgedAgainst: {
      type: "object",
      additionalProperties: false,
      required: ["level", "zulipVersion", "featureLevel"],
      properties: {
        level: { enum: ["zulip", "strict"] },
        zulipVersion: { type: ["string", "null"] },
        featureLevel: { type: ["integer", "null"], minimum: 0 },
      },
    },
    summary: {
      type: "object",
      additionalProperties: false,
      required: ["cases", "findings", "coverage", "requests", "account"],
      properties: {
        cases: counts("total", "passed", "failed", "notChecked"),
        findings: {
          type: "object",
          additionalProperties: false,
          required: ["total", "contract", "expectation", "security", "byId"],
          properties: {
            total: { type: "integer", minimum: 0 },
            contract: { type: "integer", minimum: 0 },
            expectation: { type: "integer", minimum: 0 },
            security: { type: "integer", minimum: 0 },
            byId: { type: "object", propertyNames: { $ref: "#/$defs/findingId" }, additionalProperties: { type: "integer", minimum: 1 } },
          },
        },
        coverage: counts("declared", "observed", "notObserved", "undeclared"),
        requests: { type: "integer", minimum: 0 },
        account: counts("failedLogins", "failedBudget", "successfulLogins", "successfulBudget"),
      },
    },
    cases: { type: "array", items: { $ref: "#/$defs/case" } },
    coverage: { type: "array", items: { $ref: "#/$defs/coverageRow" } },
    advisories: { type: "array", items: { $ref: "#/$defs/advisory" }, description: "Zulip level only; never change the exit code" },
    clients: { type: "array", items: { $ref: "#/$defs/client" } },
  },
  $defs: {
    findingId: { enum: [...CONTRACT_CHECK_IDS, ...Object.keys(EXPECTATION_KINDS)] },
    case: {
      type: "object",
      additionalProperties: false,
      required: ["id", "title", "operations", "outcome", "notes", "durationMs", "exchanges", "findings"],
      properties: {
        id: { type: "string", pattern: "^[a-z-]+\\.[a-z-]+$" },
        title: { type: "string" },
        operations: { type: "array", items: { type: "string" } },
        outcome: { enum: ["passed", "failed", "not-checked"] },
        reason: { type: "string", pattern: "^not checked because " },
        notes: { type: "array", items: { type: "string" } },
        durationMs: { type: "integer", minimum: 0 },
        exchanges: { type: "array", items: { $ref: "#/$defs/exchange" } },
        findings: { type: "array", items: { $ref: "#/$defs/finding" } },
      },
    },
    exchange: {
      type: "object",
      additionalProperties: false,
      required: ["operationId", "method", "path", "status", "durationMs", "repro"],
      properties: {
        operationId: { type: "string" },
        method: { type: "string" },
        path: { type: "string" },
        status: { type: ["integer", "null"] },
        durationMs: { type: "integer", minimum: 0 },
        label: { type: "string" },
        repro: { type: "string", pattern: "^curl " },
      },
    },
    finding: {
      type: "object",
      additionalProperties: false,
      required: ["id", "kind", "caseId", "operationId", "method", "path", "status", "message", "responsePointer", "specPointer", "specFile", "repro"],
      properties: {
        id: { $ref: "#/$defs/findingId" },
        kind: { enum: ["contract", "expectation", "security"] },
        caseId: { type: "string" },
        ...EVIDENCE_PROPERTIES,
        responsePointer: { type: "string", description: "JSON pointer into the body, or header:<Name>" },
      },
    },
    advisory: {
      type: "object",
      additionalProperties: false,
      required: ["id", "severity", "advice", "caseIds", "count", "evidence"],
      properties: {
        id: { type: "string", pattern: "^[a-z0-9-]+$" },
        severity: { enum: ["low", "medium", "high"] },
        advice: { type: "string" },
        caseIds: { type: "array", items: { type: "string" }, minItems: 1 },
        count: { type: "integer", minimum: 1 },
        evidence: {
          type: "object",
          additionalProperties: false,
          required: ["operationId", "method", "path", "status", "message", "responsePointer", "specPointer", "specFile", "repro"],
          properties: EVIDENCE_PROPERTIES,
        },
      },
    },
    client: {
      type: "object",
      additionalProperties: false,
      required: ["client", "needs", "verdict", "problems", "evidence"],
      properties: {
        client: { type: "string" },
        needs: { type: "string" },
        verdict: { enum: ["yes", "no", "unknown"] },
        problems: { type: "array", items: { type: "string" } },
        evidence: { type: "array", items: { type: "string" }, description: "the requests and answers the verdict rests on" },
      },
    },
    coverageRow: {
      type: "object",
      additionalProperties: false,
      required: ["operationId", "method", "path", "status", "declared", "state", "seenBy"],
      properties: {
        operationId: { type: "string" },
        method: { type: "string" },
        path: { type: "string" },
        status: { type: "integer" },
        declared: { type: "boolean" },
        state: { enum: ["observed", "not-observed", "undeclared"] },
        seenBy: { type: "array", items: { type: "string" } },
        reason: { type: "string", pattern: "^not observed because " },
      },
    },
  },
} as const;
