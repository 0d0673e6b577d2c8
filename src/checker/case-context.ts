import { OPERATIONS } from "../contract/operations.ts";
import { truncate } from "../shared/text.ts";
import { EarlyEnd } from "./early-end.ts";
import { type Exchange, field } from "./exchange.ts";
import { codeOf, Expectations } from "./expectations.ts";
import { SUCCESSFUL_LOGINS } from "./login-session.ts";
import { type FieldValue, type RequestSpec, requestFor, type Secret, shownValue } from "./request.ts";
import { throwawayEmail, throwawayPassword } from "./throwaway.ts";

/** What a case sees: requests recorded and judged, its expectations, and the login session with its budget. */
export class CaseContext extends Expectations {
  get username(): string {
    return this.run.username;
  }

  get password(): Secret {
    return this.run.password;
  }

  /**
   * The login with the given credentials, sent once per run before any other use of the password. A refusal
   * (401) or a limit (429) stops the whole run: every further attempt would spend the account's.
   */
  login(): Promise<Exchange> {
    return this.memo("login", async () => {
      const exchange = await this.transport(loginSpec(this.username, this.password, "login with the given credentials"));
      const status = exchange.answer.status;
      if (status === 401) throw passwordRefused(exchange, this.username, (t) => this.run.masker.server(t));
      if (status === 429) {
        // Zulip limits the username (`RateLimitedAuthenticationByUsername`); a server may also limit the address.
        // A throwaway username no account has tells them apart.
        const probe = await this.transport(loginSpec(this.throwawayEmail(), throwawayPassword(), "a throwaway username, to tell whose limit it is"));
        throw rateLimited(exchange, this.username, probe.answer.status === 429, (t) => this.run.masker.server(t));
      }
      return this.record(exchange);
    });
  }

  /** The login's answer and key, or "not checked" when it was not a 200 with a key. */
  async successfulLogin(): Promise<{ login: Exchange; apiKey: string }> {
    const login = await this.login();
    const apiKey = field(login, "api_key");
    if (login.answer.status !== 200 || typeof apiKey !== "string") {
      this.notChecked(`the login with the given credentials did not succeed (it was answered ${login.answer.status}; see fetch-api-key.success)`);
    }
    return { login, apiKey };
  }

  /** The near-misses of the password this run may send (its budget of failed logins on the account). */
  get nearMisses(): readonly Secret[] {
    return this.run.session.nearMisses;
  }

  /**
   * A near-miss of the password for the given account, sent once per run after the login with the right
   * password (so that a limit it trips cannot refuse that login); the first is the run's one counted failure.
   */
  async nearMiss(index: number): Promise<Exchange> {
    await this.successfulLogin();
    const miss = this.nearMisses[index];
    if (!miss) throw new Error(`near-miss ${index} is over the run's budget`);
    return this.memo(`near-miss-${index}`, () =>
      loginSpec(
        this.username,
        miss,
        `a near-miss of the password: ${shownValue(miss)} (failed login ${index + 1} of ${this.nearMisses.length} on this account)`,
      ),
    );
  }

  /**
   * The run's second (and last) successful login: the username in another case (Zulip compares emails without
   * case), with unused parameters in the body and the query string. Made once, after the near-misses, so that
   * a success clears the account's failed attempts on servers that count per string.
   */
  secondLogin(): Promise<Exchange> {
    return this.memo("second-login", () => {
      // A near-miss that logged in spent a successful login: the budget is kept, the finding is that near-miss's.
      if (this.run.session.successfulSpent >= SUCCESSFUL_LOGINS)
        this.notChecked(`the run's ${SUCCESSFUL_LOGINS} successful logins are spent (a near-miss of the password logged in)`);
      return requestFor(OPERATIONS.fetchApiKey, {
        body: {
          kind: "form",
          fields: [
            ["username", otherCase(this.username) ?? this.username],
            ["password", this.password],
            ["zulip_auth_check_b", "1"],
            ["client", "zulip-auth-check"],
          ],
        },
        query: [["zulip_auth_check_a", "1"]],
        label: "second login: the username in another case, with unused parameters",
      });
    });
  }

  /** A fresh throwaway email address. */
  throwawayEmail(): string {
    return throwawayEmail(this.username);
  }
}

/** The username with its letters' case swapped; undefined when it is not an email or has no letter. */
export function otherCase(username: string): string | undefined {
  if (!username.includes("@")) return undefined;
  const swapped = [...username].map((c) => (c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase())).join("");
  return swapped === username ? undefined : swapped;
}

/** A urlencoded fetch_api_key request. */
export function loginSpec(username: string, password: FieldValue, label: string): RequestSpec {
  return requestFor(OPERATIONS.fetchApiKey, {
    body: {
      kind: "form",
      fields: [
        ["username", username],
        ["password", password],
      ],
    },
    label,
  });
}

/** What the server said, for a stop line: `401 CODE: "msg"`. */
function answered(exchange: Exchange, mask: (text: string) => string): { answered: string; said: string } {
  const msg = field(exchange, "msg");
  return {
    answered: `${exchange.answer.status}${codeOf(exchange)}`,
    said: typeof msg === "string" && msg !== "" ? `: "${truncate(mask(msg))}"` : "",
  };
}

/** Why a refused first login stops the run, in one line that names the problem. */
function passwordRefused(exchange: Exchange, username: string, mask: (text: string) => string): EarlyEnd {
  const { answered: status, said } = answered(exchange, mask);
  const code = field(exchange, "code");
  const problem =
    code === "AUTHENTICATION_FAILED" || code === undefined
      ? `the password for ${username} was refused; check it (and the username) and run again`
      : `the login for ${username} was refused (${String(code)}), so the password cannot be checked`;
  return new EarlyEnd({
    kind: "stopped",
    status: "password-refused",
    reason: { message: `${problem}. Nothing else was checked, to spare the account's attempts (server answered ${status}${said})`, answered: status },
  });
}

/** Why a limited first login stops the run: the account's limit, or this address's (a throwaway was refused too). */
function rateLimited(exchange: Exchange, username: string, addressLimited: boolean, mask: (text: string) => string): EarlyEnd {
  const { answered: status, said } = answered(exchange, mask);
  const seconds = retryAfter(exchange);
  const at = seconds === undefined ? undefined : new Date(Date.now() + seconds * 1000);
  const when = at === undefined ? "" : ` Retry after ${at.toISOString().slice(11, 16)} UTC (in ${Math.ceil(seconds! / 60)} min).`;
  const whose = addressLimited
    ? `the server is refusing logins from this address for now: a throwaway username no account has was refused too, so the limit is this address's, not ${username}'s.`
    : `the server is refusing logins for ${username} for now: too many attempts (the rate limit, not necessarily the password).`;
  return new EarlyEnd({
    kind: "stopped",
    status: "rate-limited",
    reason: {
      message: `${whose}${when} Nothing was checked (server answered ${status}${said})`,
      answered: status,
      ...(seconds === undefined ? {} : { retryAfterSeconds: seconds, retryAt: at!.toISOString() }),
    },
  });
}

/** Seconds until a limited login may be tried again: the Retry-After header, or the body's retry-after. */
function retryAfter(exchange: Exchange): number | undefined {
  const candidates = [Number(exchange.answer.headers.get("retry-after") ?? NaN), Number(field(exchange, "retry-after") ?? NaN)];
  const seconds = candidates.find((n) => Number.isFinite(n) && n >= 0);
  return seconds === undefined ? undefined : Math.ceil(seconds);
}
