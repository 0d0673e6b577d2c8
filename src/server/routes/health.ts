import type { Context } from "hono";
import { OPERATIONS } from "../../contract/operations.ts";
import type { Schema } from "../../contract/types.ts";
import { UnavailableError } from "../../shared/unavailable.ts";
import type { AppDeps, AppEnv } from "../deps.ts";
import { respond } from "../respond.ts";

type Checks = Schema<"HealthChecks">;

/** GET /healthz: whether this instance's database and rate-limit store answer, for load balancers. */
export function health(deps: AppDeps) {
  const check = async (name: keyof Checks, ping: () => Promise<void>): Promise<"ok" | "unavailable"> => {
    try {
      await ping();
      return "ok";
    } catch (error) {
      deps.logger.warn({ check: name, err: error instanceof UnavailableError ? error.cause : error }, "health check failed");
      return "unavailable";
    }
  };
  return async (_c: Context<AppEnv>) => {
    const limiter = deps.limiter;
    const [database, rateLimitStore] = await Promise.all([
      check("database", () => deps.store.ping()),
      limiter === undefined ? ("off" as const) : limiter.ping ? check("rate_limit_store", () => limiter.ping!()) : ("ok" as const),
    ]);
    const checks: Checks = { database, rate_limit_store: rateLimitStore };
    const headers = { "Cache-Control": "no-store" };
    const failed = [database === "unavailable" ? "the database" : undefined, rateLimitStore === "unavailable" ? "the rate-limit store" : undefined].filter(
      Boolean,
    );
    if (failed.length === 0) return respond(OPERATIONS.getHealth, 200, { result: "success", msg: "", checks }, headers);
    const msg = `Unavailable: ${failed.join(" and ")} ${failed.length === 1 ? "does" : "do"} not answer`;
    return respond(OPERATIONS.getHealth, 503, { result: "error", msg, checks, code: "SERVICE_UNAVAILABLE" }, headers);
  };
}
