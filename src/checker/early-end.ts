import type { StopReason } from "./report.ts";

/** Why a case, or the whole run, ends early. */
export type EndReason =
  /** The case cannot run here: reported "not checked because <reason>". */
  | { kind: "not-checked"; reason: string }
  /** A request of the case got no answer (the finding is already recorded). */
  | { kind: "aborted" }
  /** The very first request of the run got no answer: nothing can be checked (exit 2). */
  | { kind: "unreachable"; message: string }
  /** The run must stop at once: the password was refused, or the account is limited. */
  | { kind: "stopped"; status: "password-refused" | "rate-limited"; reason: StopReason };

/** Thrown by the case context to end a case or the run early; the run catches it and reports why. */
export class EarlyEnd extends Error {
  override name = "EarlyEnd";
  constructor(readonly end: EndReason) {
    super(end.kind === "not-checked" ? end.reason : end.kind === "unreachable" ? end.message : end.kind === "stopped" ? end.reason.message : "no answer");
  }
}
