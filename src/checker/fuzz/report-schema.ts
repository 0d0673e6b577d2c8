import { FUZZ_CHECK_IDS } from "./checks.ts";

const PHASES = ["examples", "matrix", "random", "shrink"] as const;
const phaseCounts = {
  type: "object",
  additionalProperties: false,
  required: PHASES,
  properties: Object.fromEntries(PHASES.map((p) => [p, { type: "integer", minimum: 0 }])),
} as const;

/** The JSON Schema of the report's `fuzz` section (a FuzzReport), part of CHECK_REPORT_SCHEMA. */
export const FUZZ_REPORT_SCHEMA = {
  type: "object",
  additionalProperties: false,
  required: ["seed", "budget", "rate", "sent", "byPhase", "checks", "refusedByGuard", "throwaways", "stopped", "buckets", "coverage"],
  properties: {
    seed: { type: "integer", minimum: 0 },
    budget: { type: "integer", minimum: 1 },
    rate: { type: ["number", "null"], exclusiveMinimum: 0 },
    sent: { type: "integer", minimum: 0 },
    byPhase: phaseCounts,
    checks: { type: "array", items: { enum: FUZZ_CHECK_IDS } },
    refusedByGuard: { type: "integer", minimum: 0 },
    throwaways: { type: "integer", minimum: 0 },
    stopped: {
      type: "object",
      additionalProperties: false,
      required: ["kind", "message"],
      properties: { kind: { enum: ["budget", "done", "throttled", "no-answers", "run-stopped"] }, message: { type: "string" } },
    },
    buckets: {
      type: "array",
      items: {
        type: "object",
        additionalProperties: false,
        required: ["check", "operationId", "mutationClass", "status", "pointer", "message", "count", "example", "replay"],
        properties: {
          check: { enum: FUZZ_CHECK_IDS },
          operationId: { type: "string" },
          mutationClass: { type: "string" },
          status: { type: ["integer", "null"] },
          pointer: { type: "string" },
          message: { type: "string" },
          expected: { type: "string" },
          actual: { type: "string" },
          count: { type: "integer", minimum: 1 },
          example: {
            type: "object",
            additionalProperties: false,
            required: ["repro", "mutationClass", "shrunk"],
            properties: { repro: { type: "string", pattern: "^curl " }, mutationClass: { type: "string" }, shrunk: { type: "boolean" } },
          },
          replay: {
            type: "object",
            additionalProperties: false,
            required: ["seed", "path"],
            properties: { seed: { type: "integer", minimum: 0 }, path: { type: "string", pattern: "^(examples|matrix|random|shrink)/[0-9]+$" } },
          },
        },
      },
    },
    coverage: {
      type: "array",
      items: {
        type: "object",
        additionalProperties: false,
        required: ["mutationClass", "sent", "statuses"],
        properties: {
          mutationClass: { type: "string" },
          sent: { type: "integer", minimum: 0 },
          statuses: { type: "array", items: { type: "integer" } },
          reason: { type: "string", pattern: "^not exercised because " },
        },
      },
    },
    plan: {
      type: "array",
      items: {
        type: "object",
        additionalProperties: false,
        required: ["operationId", "phase", "mutationClass", "requests"],
        properties: {
          operationId: { type: "string" },
          phase: { enum: PHASES },
          mutationClass: { type: "string" },
          requests: { type: "integer", minimum: 1 },
        },
      },
    },
  },
} as const;
