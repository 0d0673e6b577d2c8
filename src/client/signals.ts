import type { TransportError } from "./errors.ts";

/** The signal one request attempt runs under: the caller's signal and the timeout, whichever fires first. */
export interface AttemptSignal {
  signal: AbortSignal;
  /** Names what stopped a request that never got an answer. */
  transportError(cause: unknown): TransportError;
}

/** Combines the caller's signal with a timeout (Infinity: none). */
export function attemptSignal(caller: AbortSignal | undefined, timeoutMs: number): AttemptSignal {
  const timeout = Number.isFinite(timeoutMs) ? AbortSignal.timeout(timeoutMs) : undefined;
  const signals = [caller, timeout].filter((s): s is AbortSignal => s !== undefined);
  const signal = signals.length === 0 ? new AbortController().signal : signals.length === 1 ? signals[0]! : AbortSignal.any(signals);
  return {
    signal,
    transportError(cause) {
      // The caller's abort wins: a timeout that fires after the caller gave up is not news to them.
      if (caller?.aborted) return aborted(caller.reason);
      if (timeout?.aborted) return { kind: "transport", code: "TIMEOUT", message: `no answer within ${timeoutMs} ms`, timeoutMs };
      return { kind: "transport", code: "NETWORK_ERROR", message: networkMessage(cause), cause };
    },
  };
}

/** The error value for a request the caller aborted. */
export function aborted(reason: unknown): TransportError {
  return { kind: "transport", code: "ABORTED", message: "the request was aborted", reason };
}

/** Waits `ms`, or less when the signal aborts; resolves true when the full time passed. */
export function sleep(ms: number, signal: AbortSignal | undefined): Promise<boolean> {
  if (signal?.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve(true);
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** fetch's own message is "fetch failed"; the useful part (ECONNREFUSED, ENOTFOUND, …) is in its cause. */
function networkMessage(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } } | null)?.cause;
  if (typeof cause?.message === "string" && cause.message !== "") return cause.message;
  if (typeof cause?.code === "string") return cause.code;
  return error instanceof Error ? error.message : String(error);
}
