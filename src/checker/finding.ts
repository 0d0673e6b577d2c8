import type { Violation, ViolationId } from "../contract/validator.ts";

/** Ids of what a case expects beyond the contract's schemas: the behaviour Zulip's clients depend on. */
export type ExpectationId =
  /** The server answered with another status than the case provokes. */
  | "unexpected-status"
  /** A field or header has another value than the case expects (a code, a var_name, a sorted list…). */
  | "unexpected-value"
  /** Two successful logins of the same user returned a different api_key, email or user_id. */
  | "identity-changed"
  /** A near-miss of the password (one character appended, the case swapped…) logged in. */
  | "password-not-exact"
  /** A JSON answer's bytes are not what a client's JSON parser reads: bad UTF-8, a BOM, or not exactly one value. */
  | "bytes-unreadable"
  /** A login was answered by another method than POST, or read credentials from a GET's query string. */
  | "login-not-post"
  /** server_settings contradicts itself or the server's version. */
  | "settings-contradict"
  /** An unknown user is answered differently from a wrong password: accounts can be enumerated. */
  | "account-enumeration"
  /** dev_fetch_api_key hands out keys without a password on a server that does not advertise development login. */
  | "dev-login-open"
  /** The sixth failed attempt for a username was not refused: passwords can be guessed without limit. */
  | "rate-limit-missing"
  /** An answer holds a password or username the request sent (beyond the stored email of a success). */
  | "credential-echoed"
  /** A request got no answer (timeout, connection reset) after the server had answered before. */
  | "request-failed";

/** Every stable finding id: the contract checks applied to every response, then the cases' expectations. */
export type FindingId = ViolationId | ExpectationId;

/** `contract`: the response breaks the contract; `expectation`: a case's expectation; `security`: a weakness. */
export type FindingKind = "contract" | "expectation" | "security";

/** The ids of the checks applied to every response, in the order the validator applies them. */
export const CONTRACT_CHECK_IDS: readonly ViolationId[] = [
  "status-undeclared",
  "header-missing",
  "header-invalid",
  "header-undeclared",
  "content-type-undeclared",
  "body-not-json",
  "body-schema",
  "body-unexpected-property",
];

/** The ids of the cases' expectations, with their kind. */
export const EXPECTATION_KINDS: Readonly<Record<ExpectationId, FindingKind>> = {
  "unexpected-status": "expectation",
  "unexpected-value": "expectation",
  "identity-changed": "expectation",
  "password-not-exact": "security",
  "bytes-unreadable": "expectation",
  "login-not-post": "security",
  "settings-contradict": "expectation",
  "account-enumeration": "security",
  "dev-login-open": "security",
  "rate-limit-missing": "security",
  "credential-echoed": "security",
  "request-failed": "expectation",
};

/**
 * One way the server breaks the contract or a case's expectation, with the evidence to reproduce it: a
 * validator Violation (pointers into the response and the contract, expected and actual), plus where it came
 * from. `path` is the request path (e.g. "/api/v1/fetch_api_key"); `responsePointer` "" may also mean the
 * status line.
 */
export interface Finding extends Omit<Violation, "id" | "status"> {
  id: FindingId;
  kind: FindingKind;
  /** The case whose request showed it. */
  caseId: string;
  /** The status answered; null when no answer came. */
  status: number | null;
  /** A curl command that sends the same request; the password is written `<password>`. */
  repro: string;
}
