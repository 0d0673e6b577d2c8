import { describe, expect, it } from "vitest";
import { define, OPERATIONS } from "../src/contract/operations.ts";
import { ZulipError } from "../src/server/errors.ts";
import { respond } from "../src/server/respond.ts";
import { conformant } from "./helpers/harness.ts";

// These calls are checked by `tsc` (npm run typecheck runs before the tests): each @ts-expect-error line must
// fail to compile, or the type check fails. They are never executed.
function bodiesTheContractForbids() {
  // @ts-expect-error user_id is required on a 200
  respond(OPERATIONS.fetchApiKey, 200, { result: "success", msg: "", api_key: "k", email: "e" });
  // @ts-expect-error user_id is an integer, not a string
  respond(OPERATIONS.fetchApiKey, 200, { result: "success", msg: "", api_key: "k", email: "e", user_id: "5" });
  // @ts-expect-error an extra property: response objects are closed
  respond(OPERATIONS.fetchApiKey, 200, { result: "success", msg: "", api_key: "k", email: "e", user_id: 5, token: "t" });
  // @ts-expect-error 403 is not a status the contract declares for fetch_api_key
  respond(OPERATIONS.fetchApiKey, 403, { result: "error", msg: "no", code: "AUTHENTICATION_FAILED" });
  // @ts-expect-error RATE_LIMIT_HIT is not a 401 code
  respond(OPERATIONS.fetchApiKey, 401, { result: "error", msg: "no", code: "RATE_LIMIT_HIT" });
  // @ts-expect-error dev_fetch_api_key's 401 has no PASSWORD_AUTH_DISABLED
  respond(OPERATIONS.devFetchApiKey, 401, { result: "error", msg: "no", code: "PASSWORD_AUTH_DISABLED" });
  // @ts-expect-error an operation the contract does not have
  respond(OPERATIONS.login, 200, {});
}

// The same for thrown errors: their body is typed by their status.
function errorsTheContractForbids() {
  // @ts-expect-error no operation declares 403
  new ZulipError(403, { result: "error", msg: "no", code: "BAD_REQUEST" });
  // @ts-expect-error RATE_LIMIT_HIT is not a 401 code of any operation
  new ZulipError(401, { result: "error", msg: "no", code: "RATE_LIMIT_HIT" });
  // @ts-expect-error a 404 carries NONEXISTENT_SUBDOMAIN, not BAD_REQUEST
  new ZulipError(404, { result: "error", msg: "no", code: "BAD_REQUEST" });
  // @ts-expect-error a 429 needs retry-after
  new ZulipError(429, { result: "error", msg: "API usage exceeded rate limit", code: "RATE_LIMIT_HIT" });
  // @ts-expect-error REQUEST_VARIABLE_MISSING needs var_name
  new ZulipError(400, { result: "error", msg: "Missing 'username' argument", code: "REQUEST_VARIABLE_MISSING" });
}

// And for rows of the operations table: each field is checked against generated/.
const HEALTH_CODES = { BAD_REQUEST: 400, INTERNAL_SERVER_ERROR: 500, SERVICE_UNAVAILABLE: 503 } as const;
const health = { operationId: "get-health", method: "get", path: "/healthz", base: "", codes: HEALTH_CODES } as const;
function rowsTheContractForbids() {
  define({ ...health, statuses: [200, 400, 405, 500, 503] });
  // @ts-expect-error a declared status (405) is missing
  define({ ...health, statuses: [200, 400, 500, 503] });
  // @ts-expect-error 404 is not declared for /healthz
  define({ ...health, statuses: [200, 400, 404, 405, 500, 503] });
  // @ts-expect-error /healthz is a GET
  define({ ...health, method: "post", statuses: [200, 400, 405, 500, 503] });
  // @ts-expect-error get-health is at /healthz
  define({ ...health, path: "/health", statuses: [200, 400, 405, 500, 503] });
  // @ts-expect-error a declared code (SERVICE_UNAVAILABLE) is missing
  define({ ...health, statuses: [200, 400, 405, 500, 503], codes: { BAD_REQUEST: 400, INTERNAL_SERVER_ERROR: 500 } });
  // @ts-expect-error SERVICE_UNAVAILABLE comes with 503, not 500
  define({ ...health, statuses: [200, 400, 405, 500, 503], codes: { ...HEALTH_CODES, SERVICE_UNAVAILABLE: 500 } });
  // @ts-expect-error RATE_LIMIT_HIT is not a code of get-health
  define({ ...health, statuses: [200, 400, 405, 500, 503], codes: { ...HEALTH_CODES, RATE_LIMIT_HIT: 429 } });
}

describe("respond(), typed from generated/", () => {
  it("sends what it was given in Zulip's wire format, which the contract accepts", async () => {
    expect(typeof bodiesTheContractForbids).toBe("function");
    expect(typeof errorsTheContractForbids).toBe("function");
    expect(typeof rowsTheContractForbids).toBe("function");
    const response = respond(OPERATIONS.fetchApiKey, 401, { result: "error", msg: "Account is deactivated", code: "USER_DEACTIVATED" });
    const r = await conformant("fetch-api-key", response);
    expect(r.text).toBe('{"result":"error","msg":"Account is deactivated","code":"USER_DEACTIVATED"}\n');
    expect(r.headers.get("content-type")).toBe("application/json");
  });
});
