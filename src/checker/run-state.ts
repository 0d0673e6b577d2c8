import type { ContractValidator } from "../contract/validator.ts";
import type { Exchange, FetchLike } from "./exchange.ts";
import type { RequestSpec, Secret } from "./request.ts";
import { throwawayPassword } from "./throwaway.ts";

/** Thrown when the very first request of a run gets no answer: nothing can be checked (exit 2). */
export class ServerUnreachable extends Error {
  override name = "ServerUnreachable";
}

/** What a run shares between its cases: the transport, the validator, and requests made once. */
export class RunState {
  answered = false;
  /** Why the server could not be reached, once that is known. */
  unreachable: string | undefined;
  requests = 0;
  /** Every exchange of the run, for the coverage table. */
  readonly exchanges: { caseId: string; operationId: string; status: number }[] = [];
  /** API keys seen in answers; redacted from the report. */
  readonly apiKeys = new Set<string>();
  /** The wrong password of the run, shared by the cases that compare answers to it. */
  readonly wrongPassword = throwawayPassword();
  private readonly memos = new Map<string, Promise<Exchange>>();

  constructor(
    readonly fetch: FetchLike,
    readonly baseUrl: string,
    readonly username: string,
    readonly password: Secret,
    readonly timeoutMs: number,
    readonly validator: ContractValidator,
    readonly onRequest: (caseId: string, spec: RequestSpec) => void,
  ) {}

  /** A request made once per run; the first case to ask for it sends it and carries its evidence. */
  memo(key: string, make: () => Promise<Exchange>): Promise<Exchange> {
    let found = this.memos.get(key);
    if (!found) {
      found = make();
      this.memos.set(key, found);
    }
    return found;
  }
}

