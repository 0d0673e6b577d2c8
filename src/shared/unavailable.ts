/** The services a server instance depends on, named as operators and the health endpoint name them. */
export type Dependency = "database" | "rate-limit store" | "directory";

/**
 * A dependency did not answer in time or refused the connection. The server answers 503 (never a 500 with
 * internals) and serves again as soon as the dependency is back. The message names the dependency only: a
 * connection string may hold a password.
 */
export class UnavailableError extends Error {
  override name = "UnavailableError";
  constructor(
    readonly dependency: Dependency,
    options: { cause?: unknown } = {},
  ) {
    super(`the ${dependency} does not answer`, options);
  }
}

/** Every failure is an outage: for a service whose every error means it cannot serve (Redis, an LDAP search). */
export const anyFailure = (): boolean => true;

/**
 * Runs `action`, turning a failure that `isOutage` recognises into an UnavailableError for `dependency`; the
 * one wrapper every backend uses. `onOutage` sees the original failure first (to log it for operators).
 */
export async function guard<T>(
  dependency: Dependency,
  isOutage: (error: unknown) => boolean,
  action: () => Promise<T>,
  onOutage?: (error: unknown) => void,
): Promise<T> {
  try {
    return await action();
  } catch (error) {
    if (error instanceof UnavailableError || !isOutage(error)) throw error;
    onOutage?.(error);
    throw new UnavailableError(dependency, { cause: error });
  }
}
