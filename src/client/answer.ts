import { OPERATIONS, type Operation } from "../contract/operations.ts";
import type { JsonBody } from "../contract/types.ts";
import { isJsonObject as isObject, type JsonObject } from "../shared/text.ts";
import type { ClientError, ClientOperation, UnexpectedResponseError, ZulipApiError } from "./errors.ts";

/** The body of a successful answer, as the contract declares it. */
export type SuccessBody<Op extends ClientOperation> = JsonBody<Op, 200>;

/** A classified answer: the success body, or an error value. */
export type Classified<Op extends ClientOperation> = { data: SuccessBody<Op> } | { error: ClientError<Op> };

/**
 * Sorts a received answer into success, a Zulip error the contract declares for this operation, or an
 * unexpected response. `json` is the parsed body (undefined when it was not JSON). Only the envelope and the fields the types promise are checked: a client must keep
 * working against a newer server that adds fields (full conformance is the checker's job).
 */
export function classifyAnswer<Op extends ClientOperation>(op: Operation<Op>, response: Response, json: unknown): Classified<Op> {
  const contentType = response.headers.get("content-type");
  const unexpected = (message: string, extra: Partial<UnexpectedResponseError> = {}): Classified<Op> => ({
    error: { kind: "unexpected-response", code: "UNEXPECTED_RESPONSE", message, status: response.status, contentType, ...extra },
  });

  if (response.status >= 300 && response.status < 400) {
    const location = response.headers.get("location") ?? undefined;
    return unexpected(`the server redirects (${response.status}) to ${location ?? "an unnamed location"}`, location ? { location } : {});
  }
  const body = isObject(json) ? json : undefined;
  if (!body) return unexpected(`the answer (${response.status}, ${contentType ?? "no Content-Type"}) is not a Zulip JSON answer`);

  if (response.status === 200 && body.result === "success") {
    return SUCCESS_SHAPE[op.operationId](body) ? { data: body as SuccessBody<Op> } : unexpected("the success answer lacks fields every Zulip server sends");
  }
  const msg = typeof body.msg === "string" ? body.msg : undefined;
  const withMsg = msg === undefined ? {} : { msg };
  if (body.result !== "error" || msg === undefined || typeof body.code !== "string") {
    return unexpected(`the answer (${response.status}) does not have Zulip's error envelope`, withMsg);
  }
  const declared: Readonly<Record<string, number>> = op.codes;
  if (declared[body.code] !== response.status) {
    return unexpected(`error code ${body.code} with status ${response.status} is not one this operation declares`, withMsg);
  }
  const error = zulipError(body, response);
  return error ? { error: error as ZulipApiError<Op> } : unexpected(`the ${body.code} answer lacks its data fields`, withMsg);
}

/** The error value for a coded body, with the data fields its code carries; undefined when they are missing. */
function zulipError(body: JsonObject, response: Response): JsonObject | undefined {
  const error = { ...body, kind: "zulip", status: response.status };
  if (body.code === "REQUEST_VARIABLE_MISSING" && typeof body.var_name !== "string") return undefined;
  if (body.code === "RATE_LIMIT_HIT") {
    // The body's float is more precise than the header; Zulip sends both.
    const retryAfter = numberOrUndefined(body["retry-after"]) ?? numberOrUndefined(response.headers.get("retry-after"));
    if (retryAfter === undefined || retryAfter < 0) return undefined;
    return { ...error, retryAfter };
  }
  return error;
}

const SUCCESS_SHAPE: { [Op in ClientOperation]: (body: JsonObject) => boolean } = {
  [OPERATIONS.fetchApiKey.operationId]: isApiKeySuccess,
  [OPERATIONS.devFetchApiKey.operationId]: isApiKeySuccess,
  [OPERATIONS.getServerSettings.operationId]: (b) =>
    isObject(b.authentication_methods) &&
    Array.isArray(b.external_authentication_methods) &&
    typeof b.zulip_version === "string" &&
    typeof b.zulip_feature_level === "number",
};

function isApiKeySuccess(b: JsonObject): boolean {
  return typeof b.api_key === "string" && b.api_key !== "" && typeof b.email === "string" && Number.isInteger(b.user_id);
}

function numberOrUndefined(value: unknown): number | undefined {
  if (typeof value === "number") return Number.isFinite(value) ? value : undefined;
  if (typeof value === "string" && value.trim() !== "") {
    const n = Number(value);
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}
