import { Ajv2020 } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";
import { expect } from "vitest";
import { CHECK_REPORT_SCHEMA, type CheckOptions, type CheckReport, checkServer, type FetchLike } from "../../src/checker/index.ts";
import { DEFAULT_CONFIG } from "../../src/server/config.ts";
import { edge } from "../../src/server/edge.ts";
import { createLogger } from "../../src/server/logger.ts";
import { listen, type RunningServer } from "../../src/server/start.ts";
import type { Store } from "../../src/store/store.ts";
import { createTestServer, type TestServer, USERS } from "./harness.ts";

/** Our server, in-process, with the project's rate limiter on (Zulip's rule, as a production server runs it). */
export function createCheckedServer(options: Parameters<typeof createTestServer>[0] = {}): Promise<TestServer> {
  return createTestServer({ limits: {}, ...options });
}

/** Serves a fetch function (our app's, or a broken wrapper of it) over real HTTP with the server's own listener. */
export function listenOverHttp(fetch: FetchLike, store: Store): Promise<RunningServer> {
  const { headersTimeoutMs, requestTimeoutMs } = DEFAULT_CONFIG;
  const logger = createLogger(undefined, "silent");
  return listen(edge({ logger, config: DEFAULT_CONFIG }, fetch, []), { port: 0, host: "127.0.0.1", store, logger, headersTimeoutMs, requestTimeoutMs });
}

/** The base URL the in-process app answers as the root organization. */
export const IN_PROCESS_URL = "http://zulip.test";

/** Runs the checker with iago's credentials against a fetch function (at the Zulip level unless `strict`). */
export function check(fetch: FetchLike, options: Partial<CheckOptions> = {}): Promise<CheckReport> {
  return checkServer({ baseUrl: IN_PROCESS_URL, username: USERS.iago.email, password: USERS.iago.password, fetch, ...options });
}

/** Every finding as "<case id> <finding id>". */
export function caught(report: CheckReport): string[] {
  return report.cases.flatMap((c) => c.findings.map((f) => `${c.id} ${f.id}`));
}

/** The distinct finding ids of a report. */
export function findingIds(report: CheckReport): string[] {
  return [...new Set(report.cases.flatMap((c) => c.findings.map((f) => f.id)))].sort();
}

/** A fetch that passes requests to `inner` and lets `change` rewrite the answer (or answer instead). */
export function wrap(inner: FetchLike, change: (request: Request, forward: (r?: Request) => Promise<Response>) => Promise<Response>): FetchLike {
  return (request) => change(request, (r = request) => Promise.resolve(inner(r)));
}

/** The request's path under /api/v1 (e.g. "/fetch_api_key"). */
export const apiPath = (request: Request) => new URL(request.url).pathname.replace(/^\/api\/v1/, "");

/** A copy of a JSON answer with its body changed; status and headers kept unless given. */
export async function rewriteJson(
  response: Response,
  change: (body: Record<string, unknown>) => unknown,
  init: { status?: number; headers?: Record<string, string | null> } = {},
): Promise<Response> {
  const text = await response.text();
  const headers = new Headers(response.headers);
  // A HEAD answer has no body to rewrite.
  if (text === "") return new Response(null, { status: response.status, headers });
  const body = change(JSON.parse(text) as Record<string, unknown>);
  for (const [name, value] of Object.entries(init.headers ?? {})) {
    if (value === null) headers.delete(name);
    else headers.set(name, value);
  }
  return new Response(typeof body === "string" ? body : JSON.stringify(body) + "\n", { status: init.status ?? response.status, headers });
}

const validateReport = (() => {
  const ajv = new Ajv2020({ allErrors: true, strict: true });
  addFormatsModule.default(ajv);
  return ajv.compile(CHECK_REPORT_SCHEMA);
})();

/** The report has the documented JSON shape (docs/checker.md, CHECK_REPORT_SCHEMA). */
export function expectDocumentedShape(report: unknown): void {
  expect(validateReport(report), JSON.stringify(validateReport.errors)).toBe(true);
}
