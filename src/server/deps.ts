import type { Logger } from "pino";
import type { LoginDeps } from "../auth/login.ts";
import type { ServerConfig } from "./config.ts";

/** Everything the app factory is given; tests pass their own store, limiter, logger and config. */
export interface AppDeps extends LoginDeps {
  config: ServerConfig;
  logger: Logger;
}

/** Per-request values set by middleware. */
export interface AppEnv {
  Variables: {
    requestId: string;
    organization?: string;
    /** The client's address (see client-address.ts) and its group, the limiter's key. */
    clientAddress?: string;
    addressGroup?: string;
  };
}
