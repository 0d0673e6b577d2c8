import fc from "fast-check";
import { OPERATIONS } from "../../src/contract/operations.ts";
import type { OperationId } from "../../src/contract/types.ts";
import { getContractValidator, type Violation } from "../../src/contract/validator.ts";

/** One generated HTTP request, kept as data so a failure can be printed and replayed. */
export interface FuzzRequest {
  method: string;
  path: string;
  query: [string, string][];
  host: string;
  contentType?: string;
  body?: string | Uint8Array;
}

const OPERATION_BY_PATH: Record<string, OperationId> = Object.fromEntries(Object.values(OPERATIONS).map((op) => [op.url, op.operationId]));

const nastyKey = fc.oneof(
  fc.constantFrom("username", "password", "client", "__proto__", "constructor", "prototype", "toString", "hasOwnProperty", ""),
  fc.string({ maxLength: 20 }),
  fc.string({ unit: "binary", maxLength: 20 }),
  fc.string({ minLength: 1000, maxLength: 5000, unit: fc.constantFrom("k", "\u0000", "é", "%") }),
);
const nastyValue = fc.oneof(
  fc.constantFrom("iago@zulip.com", "abcd1234-Strong!", "IAGO@zulip.com", "", " ", "hamlet", "nobody@zulip.com", "\u0000", "a\u0000b@zulip.com"),
  fc.emailAddress(),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.string({ minLength: 500, maxLength: 3000 }),
);
const fields = fc.array(fc.tuple(nastyKey, nastyValue), { maxLength: 8 });
const manyFields = fc.integer({ min: 500, max: 6000 }).map((n) => Array.from({ length: n }, (_, i) => [`f${i}`, "v"] as [string, string]));

const urlencoded = (f: [string, string][]) => new URLSearchParams(f).toString();
function multipartBody(f: [string, string][], boundary: string): string {
  return (
    f.map(([k, v]) => `--${boundary}\r\nContent-Disposition: form-data; name="${k.replace(/"/g, "%22")}"\r\n\r\n${v}\r\n`).join("") + `--${boundary}--\r\n`
  );
}

const body: fc.Arbitrary<Pick<FuzzRequest, "contentType" | "body">> = fc.oneof(
  fc.constant({}),
  fc.oneof(fields, manyFields).map((f) => ({ contentType: "application/x-www-form-urlencoded", body: urlencoded(f) })),
  fields.map((f) => ({ contentType: "multipart/form-data; boundary=zzfuzz", body: multipartBody(f, "zzfuzz") })),
  fields.map((f) => ({ contentType: "application/json", body: JSON.stringify(Object.fromEntries(f)) })),
  fc.constantFrom("%", "%zz", "%C3%28", "username=%E0%A4%A&password=%", "username=a%00b%40c.com&password=%FF%FE", "&&&===&", "=x", "username").map((b) => ({
    contentType: "application/x-www-form-urlencoded",
    body: b,
  })),
  fc
    .tuple(
      fc.constantFrom(
        "application/x-www-form-urlencoded",
        "application/x-www-form-urlencoded; charset=latin1",
        "multipart/form-data",
        "multipart/form-data; boundary=",
        "multipart/form-data; boundary=abc",
        "text/plain",
        "application/json",
        "application/xml",
        "",
        ";;;",
        "multipart/mixed; boundary=x",
      ),
      fc.oneof(
        fc.string({ maxLength: 200 }),
        fc.uint8Array({ maxLength: 300 }).map((a) => new Uint8Array(a)),
        fc.constant("--abc\r\nbroken"),
      ),
    )
    .map(([contentType, b]) => ({ contentType, body: b })),
  fc.integer({ min: 65 * 1024, max: 200 * 1024 }).map((n) => ({ contentType: "application/x-www-form-urlencoded", body: `username=${"a".repeat(n)}` })),
);

const host = fc.oneof(
  fc.constantFrom("zulip.test", "lear.zulip.test", "gone.zulip.test", "nope.zulip.test", "www.zulip.test", "127.0.0.1:9991", "[::1]", "localhost"),
  fc.domain(),
  fc.string({ maxLength: 30 }).filter((h) => !/[\r\n\u0000]/.test(h)),
  fc.integer({ min: 1000, max: 8000 }).map((n) => `${"a".repeat(n)}.zulip.test`),
);

/** Requests of every malformed kind the issue lists, aimed mostly at the three operations. */
export const fuzzRequest: fc.Arbitrary<FuzzRequest> = fc
  .record({
    method: fc.oneof(fc.constant("POST"), fc.constantFrom("GET", "PUT", "DELETE", "PATCH", "OPTIONS")),
    path: fc.oneof(
      fc.constantFrom(...Object.keys(OPERATION_BY_PATH)),
      fc.constantFrom("/api/v1/fetch_api_key/", "/api/v1/", "/", "/api/v1/FETCH_API_KEY", "/api/v2/fetch_api_key"),
      fc.webPath(),
    ),
    query: fields,
    host,
  })
  .chain((r) => body.map((b) => ({ ...r, ...(r.method === "GET" ? {} : b) })));

/** Builds the fetch Request for a generated request (the Host header may say anything). */
export function toRequest(r: FuzzRequest): Request {
  const url = new URL(`http://zulip.test${r.path.startsWith("/") ? r.path : `/${r.path}`}`);
  for (const [k, v] of r.query) url.searchParams.append(k, v);
  const headers = new Headers({ host: r.host });
  if (r.contentType !== undefined) headers.set("content-type", r.contentType);
  return new Request(url, { method: r.method, headers, ...(r.body === undefined ? {} : { body: r.body as BodyInit }) });
}

/** What is wrong with the answer to a generated request: a 5xx, or anything the contract does not allow. */
export async function answerProblems(r: FuzzRequest, response: Response): Promise<string[]> {
  const text = await response.text();
  if (response.status >= 500) return [`status ${response.status}: ${text.slice(0, 200)}`];
  const operation = OPERATION_BY_PATH[new URL(`http://x${r.path.startsWith("/") ? r.path : `/${r.path}`}`).pathname];
  if (!operation) {
    const ok = response.status === 404 && text === `{"result":"error","msg":"Not Found","code":"BAD_REQUEST"}\n`;
    return ok ? [] : [`unknown path answered ${response.status} ${text.slice(0, 200)}`];
  }
  const validator = await getContractValidator();
  const violations: Violation[] = validator.validateResponse(operation, { status: response.status, headers: response.headers, bodyText: text });
  return violations.map((v) => `${v.id} ${v.responsePointer}: ${v.message}`);
}

/** A short, secret-free description of a request for failure reports. */
export function describeRequest(r: FuzzRequest): string {
  const body =
    r.body === undefined ? "" : ` body(${r.contentType}) ${typeof r.body === "string" ? JSON.stringify(r.body.slice(0, 120)) : `${r.body.length} bytes`}`;
  return `${r.method} ${r.path} host=${JSON.stringify(r.host.slice(0, 60))} query=${JSON.stringify(r.query).slice(0, 120)}${body}`;
}
