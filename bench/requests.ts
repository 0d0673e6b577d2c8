// The requests the benchmarks send, each checked against the contract once before it is measured: a
// benchmark of wrong answers would measure nothing.
import { request } from "node:http";
import type { OperationId } from "../src/contract/types.ts";
import { type Answer, getContractValidator } from "../src/contract/validator.ts";
import { BENCH_USER, loginBody } from "./lib.ts";

/** One kind of request, in autocannon's request shape, with the answer it must get. */
export interface BenchRequest {
  name: string;
  /** The operation whose answer this is; absent for a path the contract does not have (Zulip's JSON 404). */
  operationId?: OperationId;
  status: number;
  method: "GET" | "POST";
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

const FORM = { "content-type": "application/x-www-form-urlencoded" };
const BOUNDARY = "bench-boundary-7";
const multipart = (fields: Record<string, string>) =>
  Object.entries(fields)
    .map(([name, value]) => `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`)
    .join("") + `--${BOUNDARY}--\r\n`;

/** Every kind of request a benchmark sends. */
export const REQUESTS = {
  serverSettings: { name: "server_settings", operationId: "get-server-settings", status: 200, method: "GET", path: "/api/v1/server_settings" },
  login: {
    name: "correct password",
    operationId: "fetch-api-key",
    status: 200,
    method: "POST",
    path: "/api/v1/fetch_api_key",
    headers: FORM,
    body: loginBody(BENCH_USER.email, BENCH_USER.password),
  },
  wrongPassword: {
    name: "wrong password",
    operationId: "fetch-api-key",
    status: 401,
    method: "POST",
    path: "/api/v1/fetch_api_key",
    headers: FORM,
    body: loginBody(BENCH_USER.email, "wrong-password-1"),
  },
  missingPassword: {
    name: "missing password",
    operationId: "fetch-api-key",
    status: 400,
    method: "POST",
    path: "/api/v1/fetch_api_key",
    headers: FORM,
    body: new URLSearchParams({ username: BENCH_USER.email }).toString(),
  },
  invalidEmail: {
    name: "invalid email",
    operationId: "fetch-api-key",
    status: 400,
    method: "POST",
    path: "/api/v1/fetch_api_key",
    headers: FORM,
    body: loginBody("not-an-email", "x"),
  },
  jsonBody: {
    name: "JSON body",
    operationId: "fetch-api-key",
    status: 400,
    method: "POST",
    path: "/api/v1/fetch_api_key",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username: BENCH_USER.email, password: "x" }),
  },
  multipart: {
    name: "multipart, no password",
    operationId: "fetch-api-key",
    status: 400,
    method: "POST",
    path: "/api/v1/fetch_api_key",
    headers: { "content-type": `multipart/form-data; boundary=${BOUNDARY}` },
    body: multipart({ username: BENCH_USER.email }),
  },
  unknownSubdomain: {
    name: "unknown subdomain",
    operationId: "fetch-api-key",
    status: 404,
    method: "POST",
    path: "/api/v1/fetch_api_key",
    headers: { ...FORM, host: "nope.localhost" },
    body: loginBody(BENCH_USER.email, "x"),
  },
  wrongMethod: { name: "GET fetch_api_key", operationId: "fetch-api-key", status: 405, method: "GET", path: "/api/v1/fetch_api_key" },
  devDisabled: {
    name: "dev login, disabled",
    operationId: "dev-fetch-api-key",
    status: 400,
    method: "POST",
    path: "/api/v1/dev_fetch_api_key",
    headers: FORM,
    body: new URLSearchParams({ username: BENCH_USER.email }).toString(),
  },
  unknownApiPath: { name: "unknown API path", status: 404, method: "GET", path: "/api/v1/users/me" },
  unknownPath: { name: "unknown path", status: 404, method: "GET", path: "/favicon.ico" },
} satisfies Record<string, BenchRequest>;

const CHEAP: BenchRequest[] = [
  REQUESTS.serverSettings,
  REQUESTS.missingPassword,
  REQUESTS.serverSettings,
  REQUESTS.invalidEmail,
  REQUESTS.serverSettings,
  REQUESTS.jsonBody,
  REQUESTS.serverSettings,
  REQUESTS.multipart,
  REQUESTS.serverSettings,
  REQUESTS.unknownSubdomain,
  REQUESTS.serverSettings,
  REQUESTS.wrongMethod,
  REQUESTS.serverSettings,
  REQUESTS.devDisabled,
  REQUESTS.serverSettings,
  REQUESTS.unknownApiPath,
  REQUESTS.serverSettings,
  REQUESTS.unknownPath,
];

/**
 * The memory benchmark's mix, cycled by each connection: 2 argon2 logins (one right, one wrong password) in
 * 400 requests, the rest cheap answers of every other kind. More logins would only make the run longer: each
 * costs a hash, not memory.
 */
export const MIXED: BenchRequest[] = Array.from({ length: 400 }, (_, i) =>
  i === 0 ? REQUESTS.login : i === 200 ? REQUESTS.wrongPassword : CHEAP[i % CHEAP.length]!,
);

/** Sends each request once and throws unless its answer has the expected status and conforms to the contract. */
export async function checkAnswers(url: string, requests: Iterable<BenchRequest>): Promise<void> {
  const validator = await getContractValidator();
  for (const r of new Set(requests)) {
    const answer = await send(url, r);
    const violations = r.operationId
      ? validator.validateResponse(r.operationId, answer)
      : validator.validateValue("#/components/schemas/BadRequestError", JSON.parse(answer.bodyText)).map((message) => ({ id: "body", message }));
    if (answer.status !== r.status || violations.length > 0) {
      const why = violations.map((v) => `${v.id}: ${v.message}`).join("; ");
      throw new Error(`${r.name}: expected a conformant ${r.status}, got ${answer.status}${why ? ` (${why})` : ""}`);
    }
  }
}

/** Throws unless every answer of a load run had one of the expected statuses, with no error or timeout. */
export function expectStatuses(
  what: string,
  result: { statusCodes: Record<string, number>; errors: number; timeouts: number; completed: number },
  allowed: Iterable<number>,
): void {
  const ok = new Set([...allowed].map(String));
  const unexpected = Object.entries(result.statusCodes).filter(([code]) => !ok.has(code));
  if (unexpected.length > 0 || result.errors > 0 || result.timeouts > 0 || result.completed === 0) {
    throw new Error(
      `${what}: ${result.completed} answers, statuses ${JSON.stringify(result.statusCodes)}, ${result.errors} errors, ${result.timeouts} timeouts`,
    );
  }
}

/** Sends a request as autocannon does; node:http, because fetch does not let a caller choose the Host header. */
function send(url: string, r: BenchRequest): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url + r.path, { method: r.method, headers: r.headers ?? {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => {
        const headers = new Headers();
        for (const [name, value] of Object.entries(res.headers)) if (typeof value === "string") headers.set(name, value);
        resolve({ status: res.statusCode!, headers, bodyText: Buffer.concat(chunks).toString("utf8") });
      });
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(r.body);
  });
}
