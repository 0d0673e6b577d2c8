/** The fuzzer's checks, each an oracle from Zulip's order of evaluation; `--only` and `--skip` take these ids. */
export const FUZZ_CHECKS = {
  "no-server-error": "no 5xx, reset, timeout or debug page, for any encoding, boundary or size",
  conforms: "every answer meets the contract at the run's level and feature level",
  "validation-before-auth": "malformed input gets the exact 400 and code, never a 401 or 200, and no rate-limit headers",
  "well-formed-reaches-auth": "any well-formed throwaway login gets the baseline refusal",
  "no-bypass": "no input shape yields a 200 or a key for a throwaway; the dev route stays closed on production",
  "uniform-refusal": "all well-formed refusals match in status, code, msg and header names",
  "parameter-equivalence": "urlencoded, multipart, query and mixed are equivalent, as are orders and unknown parameters; the last value and the body win",
  "method-and-route": "other methods get 405 with the exact Allow; path variants never get 200 or 5xx",
  "rate-limit-accounting": "counted attempts carry coherent X-RateLimit-* headers, uncounted ones none",
  "no-echo": "no answer echoes what was sent; no session cookie on a refusal; no stack trace",
} as const;

export type FuzzCheckId = keyof typeof FUZZ_CHECKS;

/** The ids of the fuzzer's checks, in the order they judge. */
export const FUZZ_CHECK_IDS = Object.keys(FUZZ_CHECKS) as FuzzCheckId[];
