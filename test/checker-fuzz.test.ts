import { describe, expect, it } from "vitest";
import { type CheckReport, type FetchLike, FUZZ_CHECK_IDS, formatHuman, formatJunit } from "../src/checker/index.ts";
import { caught, check, createCheckedServer, expectDocumentedShape, listenOverHttp } from "./helpers/checker.ts";
import { FUZZ_BROKEN, fuzzedServer } from "./helpers/fuzz-broken.ts";
import { conformant, USERS } from "./helpers/harness.ts";

/** Every request a fetch function passes on, as text (method, URL, body), for what the server was sent. */
function recorded(inner: FetchLike): { fetch: FetchLike; sent: string[] } {
  const sent: string[] = [];
  return {
    sent,
    fetch: async (request) => {
      sent.push(`${request.method} ${request.url}\n${request.body ? await request.clone().text() : ""}`);
      return inner(request);
    },
  };
}

/** What must hold of every fuzz run against a healthy server. */
function expectSafeAndConformant(report: CheckReport, budget: number): void {
  expectDocumentedShape(report);
  expect(caught(report)).toEqual([]);
  // Unseeded runs differ: a failure names its seed, which replays it (`fuzz: { seed }`).
  expect(report.fuzz?.buckets, `seed ${report.fuzz?.seed}`).toEqual([]);
  expect(report.status).toBe("conformant");
  const f = report.fuzz!;
  expect(f.sent).toBeLessThanOrEqual(budget);
  expect(f.refusedByGuard).toBe(0);
  expect(report.summary.account.failedLogins).toBeLessThanOrEqual(1);
  expect(report.summary.account.successfulLogins).toBeLessThanOrEqual(2);
}

describe("check --fuzz against our own server", () => {
  it("passes 2000 generated requests in-process, every phase sent, the account untouched by fuzzing", async () => {
    const server = await fuzzedServer();
    const { fetch, sent } = recorded(server.app.fetch);
    const report = await check(fetch, { fuzz: { budget: 2000, rate: 0 } });
    expectSafeAndConformant(report, 2000);
    const f = report.fuzz!;
    expect(f.sent).toBe(2000);
    expect(f.stopped.kind).toBe("budget");
    expect(f.byPhase.examples).toBeGreaterThan(0);
    expect(f.byPhase.matrix).toBeGreaterThan(20);
    expect(f.byPhase.random).toBeGreaterThan(1500);
    // Every mutation class was sent, and no fuzz request named the account: its requests are the fixed cases' only.
    expect(f.coverage.filter((c) => c.sent === 0)).toEqual([]);
    const fuzzRequests = sent.slice(sent.length - f.sent);
    expect(fuzzRequests.filter((t) => t.toLowerCase().includes("iago") || t.includes(USERS.iago.password))).toEqual([]);
    expect(report.summary.requests).toBe(sent.length);
    expect(formatHuman(report)).toMatch(/Fuzzing: seed \d+, 2000 of 2000 requests/);
    expect(formatJunit(report)).toContain('testsuite name="zulip-auth check fuzz" tests="10" failures="0"');
  });

  it("passes 2000 generated requests over HTTP on loopback, unpaced", async () => {
    const server = await fuzzedServer();
    const running = await listenOverHttp(server.app.fetch, server.store);
    try {
      const report = await check((r) => fetch(r), { baseUrl: running.url, fuzz: { budget: 2000 } });
      expectSafeAndConformant(report, 2000);
      expect(report.fuzz?.rate).toBeNull();
      expect(report.fuzz?.sent).toBe(2000);
    } finally {
      await running.close();
    }
  });

  it("answers a login sent with another method and a streamed body over HTTP, and keeps the connection (the fuzzer's first find)", async () => {
    const server = await fuzzedServer();
    const running = await listenOverHttp(server.app.fetch, server.store);
    try {
      for (let i = 0; i < 3; i++) {
        const body = new FormData();
        body.append("username", "someone@zulip.com");
        const response = await fetch(`${running.url}/api/v1/fetch_api_key`, { method: "PUT", body });
        const { status, headers } = await conformant("fetch-api-key", response);
        expect([status, headers.get("allow"), headers.get("connection")]).toEqual([405, "POST", "keep-alive"]);
      }
    } finally {
      await running.close();
    }
  });

  it("stops with 'throttled' (not a violation) when the server limits this address", async () => {
    const server = await createCheckedServer();
    const report = await check(server.app.fetch, { fuzz: { budget: 500, rate: 0 } });
    expectSafeAndConformant(report, 500);
    expect(report.fuzz?.stopped.kind).toBe("throttled");
    expect(report.fuzz?.stopped.message).toMatch(/^throttled after \d+ requests/);
  });

  it("stops after 3 requests in a row get no answer, with a no-server-error bucket", async () => {
    const server = await fuzzedServer();
    const hangs: FetchLike = (request) => {
      const path = new URL(request.url).pathname;
      return path !== "/api/v1/fetch_api_key" && path.toLowerCase().includes("fetch") ? new Promise<Response>(() => {}) : server.app.fetch(request);
    };
    const report = await check(hangs, { timeoutMs: 300, fuzz: { budget: 200, rate: 0 } });
    expectDocumentedShape(report);
    expect(report.fuzz?.stopped).toEqual({ kind: "no-answers", message: "3 requests in a row got no answer (timeouts or resets)" });
    expect(report.fuzz?.buckets.map((b) => [b.check, b.status])).toContainEqual(["no-server-error", null]);
    expect(report.fuzz!.sent).toBeLessThan(200);
  });

  it("sends no fuzz request when the run stopped (a refused password), and says why", async () => {
    const server = await fuzzedServer();
    const report = await check(server.app.fetch, { password: "not-the-password", fuzz: { budget: 50, rate: 0 } });
    expectDocumentedShape(report);
    expect(report.status).toBe("password-refused");
    expect(report.fuzz).toMatchObject({ sent: 0, stopped: { kind: "run-stopped", message: "not fuzzed because the run stopped: password-refused" } });
    // In JUnit, checks that judged nothing are skipped with the reason, never passes.
    const junit = formatJunit(report);
    expect(junit).toContain('<testsuite name="zulip-auth check fuzz" tests="10" failures="0" errors="0" skipped="10"');
    expect(junit.match(/<skipped message="no fuzz request was sent: not fuzzed because the run stopped: password-refused"\/>/g)).toHaveLength(10);
  });

  it("replays a run from its seed, and plans without sending anything", async () => {
    const plan = async (seed: number) => {
      const { fetch, sent } = recorded(() => {
        throw new Error("nothing may be sent");
      });
      const report = await check(fetch, { fuzz: { budget: 300, seed, plan: true } });
      expectDocumentedShape(report);
      expect(sent).toEqual([]);
      return report.fuzz!.plan!;
    };
    expect(await plan(7)).toEqual(await plan(7));
    expect(await plan(7)).not.toEqual(await plan(8));
    const total = (await plan(7)).reduce((n, p) => n + p.requests, 0);
    expect(total).toBe(300);

    const run = async () => (await check((await fuzzedServer()).app.fetch, { fuzz: { budget: 300, seed: 7, rate: 0 } })).fuzz!;
    const [a, b] = [await run(), await run()];
    expect(a.coverage).toEqual(b.coverage);
    expect(a.byPhase).toEqual(b.byPhase);
  });

  it("takes --only and --skip fuzz check ids", async () => {
    const server = await fuzzedServer();
    const report = await check(server.app.fetch, { only: ["no-server-error", "conforms"], fuzz: { budget: 60, rate: 0 } });
    expect(report.fuzz?.checks).toEqual(["no-server-error", "conforms"]);
    expect(report.cases.every((c) => c.outcome === "not-checked")).toBe(true);
    const skipped = await check(server.app.fetch, { skip: ["no-echo"], fuzz: { budget: 60, rate: 0 } });
    expect(skipped.fuzz?.checks).toEqual(FUZZ_CHECK_IDS.filter((id) => id !== "no-echo"));
    await expect(check(server.app.fetch, { only: ["no-echo"] })).rejects.toThrow(/add --fuzz N/);
  });
});

describe("check --fuzz catches servers the fixed cases pass", () => {
  it("has one broken server per fuzz check", () => {
    expect(FUZZ_BROKEN.map((b) => b.check).sort()).toEqual([...FUZZ_CHECK_IDS].sort());
  });

  for (const b of FUZZ_BROKEN) {
    it(`${b.check}: ${b.name}`, async () => {
      const report = await check(await b.build(), { fuzz: { budget: 400, seed: 1, rate: 0 } });
      expectDocumentedShape(report);
      expect(caught(report), "the fixed cases pass").toEqual([]);
      const buckets = report.fuzz!.buckets;
      expect(buckets.map((x) => x.check)).toContain(b.check);
      expect(report.status).toBe("violations");
      expect(report.fuzz!.sent).toBeLessThanOrEqual(400);
      expect(report.fuzz!.byPhase.shrink).toBeLessThanOrEqual(80);
      for (const x of buckets) {
        expect(x.example.repro).not.toContain(USERS.iago.email);
        expect(x.replay.seed).toBe(1);
      }
      expect(formatJunit(report)).toMatch(new RegExp(`name="${b.check}"[^>]*>\\s*<failure`));
    });
  }
});
