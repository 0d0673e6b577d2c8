import type { AttemptLimiter, RateLimitDecision } from "../../src/auth/rate-limit.ts";
import { checkServer, type CheckOptions, type CheckReport, type FetchLike } from "../../src/checker/index.ts";
import { createTestServer, USERS, type TestServer } from "./harness.ts";

/**
 * Test-only stand-in for the project's attempt limiter (Zulip's rule: 5 counted attempts per username per
 * 1800 s), so that tests can build our app with a rate limit before src/auth/memory-limiter.ts is on main.
 */
export class TestAttemptLimiter implements AttemptLimiter {
  private readonly windows = new Map<string, { count: number; resetAt: number }>();
  constructor(
    private readonly limit = 5,
    private readonly windowSeconds = 1800,
  ) {}

  async consume(username: string): Promise<RateLimitDecision> {
    const now = Date.now() / 1000;
    let window = this.windows.get(username);
    if (!window || window.resetAt <= now) {
      window = { count: 0, resetAt: Math.ceil(now + this.windowSeconds) };
      this.windows.set(username, window);
    }
    const allowed = window.count < this.limit;
    if (allowed) window.count++;
    return {
      allowed,
      limit: this.limit,
      remaining: this.limit - window.count,
      resetAt: window.resetAt,
      retryAfter: allowed ? 0 : window.resetAt - now,
    };
  }

  async reset(username: string): Promise<void> {
    this.windows.delete(username);
  }
}

/** Our server, in-process, with the rate limit on (as a production server runs it). */
export function createCheckedServer(options: Parameters<typeof createTestServer>[0] = {}): Promise<TestServer> {
  return createTestServer({ limiter: new TestAttemptLimiter(), ...options });
}

/** The base URL the in-process app answers as the root organisation. */
export const IN_PROCESS_URL = "http://zulip.test";

/** Runs the checker with iago's credentials against a fetch function. */
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
  const body = change((await response.json()) as Record<string, unknown>);
  const headers = new Headers(response.headers);
  for (const [name, value] of Object.entries(init.headers ?? {})) {
    if (value === null) headers.delete(name);
    else headers.set(name, value);
  }
  return new Response(typeof body === "string" ? body : JSON.stringify(body) + "\n", { status: init.status ?? response.status, headers });
}
