import type { ContractLevel, ContractValidator } from "../contract/validator.ts";
import type { Exchange, FetchLike } from "./exchange.ts";
import type { LoginSession } from "./login-session.ts";
import type { Masker } from "./mask.ts";
import type { AdvisoryRecord } from "./report.ts";
import type { RequestSpec, Secret } from "./request.ts";

/** What a run shares between its cases: the transport, the validator, and requests made once. */
export class RunState {
  answered = false;
  /** Why the server could not be reached, once that is known. */
  unreachable: string | undefined;
  requests = 0;
  /** Every exchange of the run, for the coverage table. */
  readonly exchanges: { caseId: string; operationId: string; status: number }[] = [];
  /** Every answer of the run, in order, with the case that sent it: what the properties judge. */
  readonly transcript: { caseId: string; exchange: Exchange }[] = [];
  /** server_settings as the run first asked for it (before any case). */
  settings: Exchange | undefined;
  /** The Zulip feature level and version server_settings reported. */
  featureLevel: number | undefined;
  zulipVersion: string | undefined;
  /** Advisories by id, in the order first seen. */
  readonly advisories = new Map<string, AdvisoryRecord>();
  private readonly memos = new Map<string, Promise<Exchange>>();

  constructor(
    readonly fetch: FetchLike,
    readonly baseUrl: string,
    readonly username: string,
    readonly password: Secret,
    readonly timeoutMs: number,
    readonly validator: ContractValidator,
    readonly level: ContractLevel,
    readonly masker: Masker,
    readonly onRequest: (caseId: string, spec: RequestSpec) => void,
    readonly session: LoginSession,
  ) {}

  /** Failed logins of this run from this client, whatever the username. */
  get failedLogins(): number {
    return this.session.failedFromHere;
  }

  /** Whether a request sends the password or a near-miss of it (a secret). */
  carriesPassword(spec: RequestSpec): boolean {
    return [...(spec.body?.fields ?? []), ...(spec.query ?? [])].some(([, v]) => typeof v !== "string");
  }

  /** A request made once per run; the first case to ask for it sends it and carries its evidence. */
  memo(key: string, make: () => Promise<Exchange>): Promise<Exchange> {
    let found = this.memos.get(key);
    if (!found) {
      found = make();
      this.memos.set(key, found);
    }
    return found;
  }

  /** Whether a memo was asked for. */
  hasMemo(key: string): boolean {
    return this.memos.has(key);
  }

  /** Whether the server's feature level is known to be below `level` (an unknown level is judged as the latest). */
  below(level: number): boolean {
    return this.featureLevel !== undefined && this.featureLevel < level;
  }
}
