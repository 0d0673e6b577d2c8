import type { operations, paths } from "../../generated/zulip-auth.ts";
import { API_BASE_PATH } from "./base-path.ts";
import type { OperationId } from "./types.ts";

type Method = "get" | "put" | "post" | "delete" | "options" | "head" | "patch" | "trace";

/** Where the generated `paths` put an operation: its path and method (never where they differ). */
type RouteOf<Op extends OperationId> = {
  [P in keyof paths]: {
    [M in Method]: [NonNullable<paths[P][M]>] extends [never] ? never : NonNullable<paths[P][M]> extends operations[Op] ? { path: P; method: M } : never;
  }[Method];
}[keyof paths];

interface Route<Op extends OperationId> {
  method: RouteOf<Op>["method"];
  path: RouteOf<Op>["path"];
  /** The prefix the contract's servers put before the path. */
  base: typeof API_BASE_PATH | "";
}

/**
 * Every operation of the contract: the one place in src/ where an operation's path is written. The types
 * check each row against the generated `paths`; the validator checks at load that the contract has exactly
 * these operations.
 */
const ROUTES = {
  "fetch-api-key": { method: "post", path: "/fetch_api_key", base: API_BASE_PATH },
  "dev-fetch-api-key": { method: "post", path: "/dev_fetch_api_key", base: API_BASE_PATH },
  "get-server-settings": { method: "get", path: "/server_settings", base: API_BASE_PATH },
  // Outside /api/v1: the contract's path item has its own servers.
  "get-health": { method: "get", path: "/healthz", base: "" },
} as const satisfies { [Op in OperationId]: Route<Op> };

type Routes = typeof ROUTES;

/** One operation of the contract: its id, method and path, and where it is on the wire. */
export interface Operation<Op extends OperationId = OperationId> {
  operationId: Op;
  /** Upper case, as on the wire ("POST"). */
  method: Uppercase<Routes[Op]["method"]>;
  /** The path as the contract writes it, e.g. "/fetch_api_key". */
  path: Routes[Op]["path"];
  /** The path on the wire, e.g. "/api/v1/fetch_api_key". */
  url: `${Routes[Op]["base"]}${Routes[Op]["path"]}`;
}

/** Every operation, by id. */
export const OPERATIONS = Object.fromEntries(
  Object.entries(ROUTES).map(([operationId, r]) => [operationId, { operationId, method: r.method.toUpperCase(), path: r.path, url: `${r.base}${r.path}` }]),
) as { [Op in OperationId]: Operation<Op> };

/** The operation with this id. */
export function operation<Op extends OperationId>(operationId: Op): Operation<Op> {
  return OPERATIONS[operationId];
}

/** The operation served at a path on the wire ("/api/v1/fetch_api_key"), if any. */
export function operationAt(url: string): Operation | undefined {
  return Object.values(OPERATIONS).find((op) => op.url === url);
}

/** Pointer segments of an operation in the contract: its declared path and method. */
export function operationPointer(operationId: OperationId): readonly string[] {
  const op = OPERATIONS[operationId];
  return ["paths", op.path, op.method.toLowerCase()];
}
