import type { operations, paths } from "../../generated/zulip-auth.ts";
import { API_BASE_PATH } from "./locations.ts";
import type { DeclaredStatus, OperationId, StatusOfCode } from "./types.ts";

type Method = "get" | "put" | "post" | "delete" | "options" | "head" | "patch" | "trace";

/** Where the generated `paths` put an operation: its path and method (never where they differ). */
type RouteOf<Op extends OperationId> = {
  [P in keyof paths]: {
    [M in Method]: [NonNullable<paths[P][M]>] extends [never] ? never : NonNullable<paths[P][M]> extends operations[Op] ? { path: P; method: M } : never;
  }[Method];
}[keyof paths];

/** The prefix the contract's servers put before a path. */
type Base = typeof API_BASE_PATH | "";

/** Passes when `Listed` holds every member of `All`; otherwise names the missing ones, so the value does not compile. */
type Covers<All, Listed> = [Exclude<All, Listed>] extends [never] ? unknown : { missing: Exclude<All, Listed> };

/** A row as written below; each field is checked against the generated `paths` and `operations`. */
interface Row<Op extends OperationId, S extends readonly DeclaredStatus<Op>[], B extends Base> {
  operationId: Op;
  method: RouteOf<Op>["method"];
  path: RouteOf<Op>["path"];
  base: B;
  /** Every status the contract declares, ascending (the load check compares in order): a missing or undeclared one does not compile. */
  statuses: S & Covers<DeclaredStatus<Op>, S[number]>;
  /** Every error code and its status: a missing, extra or mispaired code does not compile. */
  codes: StatusOfCode<Op>;
}

/** One operation of the contract: its id, where it is on the wire, and the statuses and codes it declares. */
export type Operation<Op extends OperationId = OperationId, B extends Base = Base> = Op extends OperationId ? OperationOf<Op, B> : never;

interface OperationOf<Op extends OperationId, B extends Base> {
  operationId: Op;
  /** Upper case, as on the wire ("POST"). */
  method: Uppercase<RouteOf<Op>["method"]>;
  /** The path as the contract writes it, e.g. "/fetch_api_key". */
  path: RouteOf<Op>["path"];
  /** The path on the wire, e.g. "/api/v1/fetch_api_key". */
  url: `${B}${RouteOf<Op>["path"]}`;
  /** The declared statuses, ascending. */
  statuses: readonly DeclaredStatus<Op>[];
  /** Each declared error code, with the status it comes with. */
  codes: Readonly<StatusOfCode<Op>>;
}

/** A row of the operations table, checked against the generated types; exported for the type tests. */
export function define<const Op extends OperationId, const S extends readonly DeclaredStatus<Op>[], const B extends Base>(
  row: Row<Op, S, B>,
): OperationOf<Op, B> {
  const { operationId, method, path, base, statuses, codes } = row;
  // Template literal and Uppercase types do not follow string operations: the values are what the types say.
  const url = `${base}${path}` as OperationOf<Op, B>["url"];
  return { operationId, method: method.toUpperCase() as Uppercase<typeof method>, path, url, statuses, codes };
}

/**
 * Every operation of the contract: the one place in src/ where an operation's id and path are written. The
 * types check each row against the generated `paths` and `operations`; the validator checks at load that the
 * contract has exactly these operations, statuses and codes.
 */
export const OPERATIONS = {
  fetchApiKey: define({
    operationId: "fetch-api-key",
    method: "post",
    path: "/fetch_api_key",
    base: API_BASE_PATH,
    statuses: [200, 400, 401, 404, 405, 413, 429, 500, 503],
    codes: {
      REQUEST_VARIABLE_MISSING: 400,
      BAD_REQUEST: 400,
      AUTHENTICATION_FAILED: 401,
      PASSWORD_AUTH_DISABLED: 401,
      REALM_DEACTIVATED: 401,
      USER_DEACTIVATED: 401,
      PASSWORD_RESET_REQUIRED: 401,
      NONEXISTENT_SUBDOMAIN: 404,
      REQUEST_TOO_LARGE: 413,
      RATE_LIMIT_HIT: 429,
      INTERNAL_SERVER_ERROR: 500,
      SERVICE_UNAVAILABLE: 503,
      LDAP_UNAVAILABLE: 503,
    },
  }),
  devFetchApiKey: define({
    operationId: "dev-fetch-api-key",
    method: "post",
    path: "/dev_fetch_api_key",
    base: API_BASE_PATH,
    statuses: [200, 400, 401, 404, 405, 413, 500, 503],
    codes: {
      REQUEST_VARIABLE_MISSING: 400,
      BAD_REQUEST: 400,
      AUTHENTICATION_FAILED: 401,
      REALM_DEACTIVATED: 401,
      USER_DEACTIVATED: 401,
      NONEXISTENT_SUBDOMAIN: 404,
      REQUEST_TOO_LARGE: 413,
      INTERNAL_SERVER_ERROR: 500,
      SERVICE_UNAVAILABLE: 503,
    },
  }),
  getServerSettings: define({
    operationId: "get-server-settings",
    method: "get",
    path: "/server_settings",
    base: API_BASE_PATH,
    statuses: [200, 400, 405, 500, 503],
    codes: { BAD_REQUEST: 400, INTERNAL_SERVER_ERROR: 500, SERVICE_UNAVAILABLE: 503 },
  }),
  // Outside /api/v1: the contract's path item has its own servers.
  getHealth: define({
    operationId: "get-health",
    method: "get",
    path: "/healthz",
    base: "",
    statuses: [200, 400, 405, 500, 503],
    codes: { BAD_REQUEST: 400, INTERNAL_SERVER_ERROR: 500, SERVICE_UNAVAILABLE: 503 },
  }),
};

/** The id of each operation, for types that take one (`RequestForm<FetchApiKey>`). */
export type FetchApiKey = typeof OPERATIONS.fetchApiKey.operationId;
export type DevFetchApiKey = typeof OPERATIONS.devFetchApiKey.operationId;
export type GetServerSettings = typeof OPERATIONS.getServerSettings.operationId;

/** Every operation; a contract operation without a row does not compile here. */
export const ALL_OPERATIONS: readonly Operation[] = Object.values(
  OPERATIONS satisfies Covers<OperationId, (typeof OPERATIONS)[keyof typeof OPERATIONS]["operationId"]>,
);

/** The operation served at a path on the wire ("/api/v1/fetch_api_key"), if any. */
export function operationAt(url: string): Operation | undefined {
  return ALL_OPERATIONS.find((op) => op.url === url);
}

/** The operation with this id. */
export function operationById<Op extends OperationId>(operationId: Op): Operation<Op> {
  // Every id has a row (ALL_OPERATIONS does not compile otherwise).
  return ALL_OPERATIONS.find((op) => op.operationId === operationId) as Operation<Op>;
}

/** Pointer segments of an operation in the contract: its declared path and method. */
export function operationPointer(operation: Operation): readonly string[] {
  return ["paths", operation.path, operation.method.toLowerCase()];
}
