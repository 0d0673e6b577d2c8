import type { Exchange } from "./exchange.ts";
import { type RequestSpec, type Secret, secret } from "./request.ts";

/** Successful logins a run makes at most: the login, and the second one with the username in another case. */
export const SUCCESSFUL_LOGINS = 2;

/**
 * The near-misses of the password a run may send for the account, in order; the first is the run's one
 * counted failure, the others are sent only with `--failed-logins`. Each would log in on a server that does
 * not compare passwords exactly (`zproject/backends.py` hands Django's `check_password` the password as sent).
 */
export function nearMisses(password: Secret): Secret[] {
  const p = password.value;
  const swapped = [...p].map((c) => (c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase())).join("");
  return [
    secret("<password>x", `${p}x`),
    ...(swapped !== p ? [secret("<password, case swapped>", swapped)] : []),
    ...(p.length > 1 ? [secret("<password, last character cut>", p.slice(0, -1))] : []),
    secret("<password> (a space appended)", `${p} `),
  ];
}

/**
 * The run's budget on the given account, and what it spent: failed logins (each a near-miss of the password,
 * at most `failedBudget`) and successful logins (at most two: a real Zulip may email a "new login" notice for
 * each, `zerver/signals.py`).
 */
export class LoginSession {
  failedSpent = 0;
  successfulSpent = 0;
  /** Failed logins of the run from this client (any username): what an address limit counts. */
  failedFromHere = 0;
  readonly nearMisses: Secret[];

  constructor(
    readonly username: string,
    readonly password: Secret,
    readonly failedBudget: number,
  ) {
    this.nearMisses = nearMisses(password).slice(0, failedBudget);
  }

  /** Counts a fetch_api_key answer against the budget. */
  count(spec: RequestSpec, exchange: Exchange): void {
    const status = exchange.answer.status;
    if (status === 401) this.failedFromHere++;
    const username = [...(spec.body?.fields ?? []), ...(spec.query ?? [])].find(([k]) => k === "username")?.[1];
    if (typeof username !== "string" || username.toLowerCase() !== this.username.toLowerCase()) return;
    if (status === 200) this.successfulSpent++;
    if (status === 401) this.failedSpent++;
  }
}
