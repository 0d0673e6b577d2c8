import type { Operation } from "../contract/operations.ts";
import { API_BASE_PATH } from "../contract/spec.ts";
import type { OperationId } from "../contract/types.ts";

/** A value that is sent as is but written as its placeholder (e.g. `<password>`) everywhere it is shown. */
export interface Secret {
  readonly placeholder: string;
  readonly value: string;
}

/** A parameter value: plain, or a secret shown by its placeholder. */
export type FieldValue = string | Secret;

/** How a request carries its parameters in the body. */
export type BodyKind = "form" | "multipart" | "json";

/** A request a case sends, described so that it can be both sent and shown as a curl command. */
export interface RequestSpec {
  operationId: OperationId;
  method: string;
  /** The path under the API base, e.g. "/fetch_api_key". */
  path: string;
  query?: [string, FieldValue][];
  body?: { kind: BodyKind; fields: [string, FieldValue][] };
  /** A body sent byte for byte as written, with its Content-Type (the fuzzer's malformed bodies); no secret in it. */
  raw?: { contentType: string; text: string };
  headers?: Record<string, string>;
  /** What this request is in the case, shown next to it (e.g. "attempt 6 of 6"). */
  label?: string;
}

/** A request for an operation, at the contract's method and path unless a negative case overrides either. */
export function requestFor(
  operation: Operation,
  rest: Omit<RequestSpec, "operationId" | "method" | "path"> & Partial<Pick<RequestSpec, "method" | "path">> = {},
): RequestSpec {
  return { operationId: operation.operationId, method: operation.method, path: operation.path, ...rest };
}

/** A secret value with its placeholder. */
export const secret = (placeholder: string, value: string): Secret => ({ placeholder, value });

/** The value as sent. */
const valueOf = (v: FieldValue): string => (typeof v === "string" ? v : v.value);

/** The value as shown. */
export const shownValue = (v: FieldValue): string => (typeof v === "string" ? v : v.placeholder);

/** The site URL without trailing slashes; the API lives under it at /api/v1. */
export function normalizeBaseUrl(baseUrl: string): string {
  return baseUrl.replace(/\/+$/, "");
}

/** The request path, e.g. "/api/v1/fetch_api_key". */
export const requestPath = (spec: RequestSpec): string => `${API_BASE_PATH}${spec.path}`;

/** The full URL of a request, with the query string built from `show` (sent values or shown placeholders). */
export function requestUrl(baseUrl: string, spec: RequestSpec, show: (v: FieldValue) => string = valueOf): string {
  const query = (spec.query ?? []).map(([k, v]) => {
    const value = show(v);
    // A placeholder stays readable in the shown URL; real values are percent-encoded.
    const encoded = typeof v !== "string" && show === shownValue ? value : encodeURIComponent(value);
    return `${encodeURIComponent(k)}=${encoded}`;
  });
  return `${normalizeBaseUrl(baseUrl)}${requestPath(spec)}${query.length > 0 ? `?${query.join("&")}` : ""}`;
}

/** The fetch Request for a spec; redirects are not followed, so a redirect is seen (and judged) as it is. */
export function toRequest(baseUrl: string, spec: RequestSpec, signal?: AbortSignal): Request {
  const headers = new Headers(spec.headers);
  let body: BodyInit | undefined;
  if (spec.body) {
    const fields = spec.body.fields.map(([k, v]) => [k, valueOf(v)] as [string, string]);
    if (spec.body.kind === "form") {
      headers.set("content-type", "application/x-www-form-urlencoded");
      body = new URLSearchParams(fields).toString();
    } else if (spec.body.kind === "json") {
      headers.set("content-type", "application/json");
      body = JSON.stringify(Object.fromEntries(fields));
    } else {
      const data = new FormData();
      for (const [k, v] of fields) data.append(k, v);
      body = data;
    }
  }
  if (spec.raw) {
    if (spec.raw.contentType !== "") headers.set("content-type", spec.raw.contentType);
    body = spec.raw.text;
  }
  return new Request(requestUrl(baseUrl, spec), { method: spec.method, headers, body: body ?? null, redirect: "manual", ...(signal ? { signal } : {}) });
}
