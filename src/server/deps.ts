import type { Logger } from "pino";
import type { LoginDeps } from "../auth/login.ts";
import type { AuditSink } from "../store/audit-writer.ts";
import type { ServerConfig } from "./config.ts";
import type { Metrics } from "./metrics.ts";

/** Everything the app factory is given; tests pass their own store, limiter, logger and config. */
export interface AppDeps extends LoginDeps {
  config: ServerConfig;
  logger: Logger;
  /** Where login attempts are recorded (the audit trail); none in tests that do not look at it. */
  audit?: AuditSink;
  /** Prometheus metrics, collected when given (served by a listener of their own, never the app). */
  metrics?: Metrics;
}

/** Per-request values set by middleware. */
export interface AppEnv {
  Variables: {
    requestId: string;
    organization?: string;
    /** The client's address (see client-address.ts) and its group, the limiter's key. */
    clientAddress?: string;
    addressGroup?: string;
    login?: LoginAttemptFacts;
  };
}

/**
 * What a login handler learnt about its attempt, for the audit trail: the username sent, the user once known,
 * and whether the password was checked (such attempts keep a row each; refusals before it are collapsed).
 */
export interface LoginAttemptFacts {
  username: string;
  userId?: number;
  checked?: boolean;
}
