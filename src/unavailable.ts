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

/** Runs `action`, turning a failure that `isOutage` recognises into an UnavailableError for `dependency`. */
export async function guard<T>(dependency: Dependency, isOutage: (error: unknown) => boolean, action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (error) {
    if (error instanceof UnavailableError || !isOutage(error)) throw error;
    throw new UnavailableError(dependency, { cause: error });
  }
}
