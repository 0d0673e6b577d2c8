import { spawn } from "node:child_process";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cachedScrape, METRICS_CACHE_MS } from "../src/server/metrics-listener.ts";
import { conformant, createTestServer, form, USERS } from "./helpers/harness.ts";
import { rawExchange } from "./helpers/loopback.ts";
import { runCli, startServerProcess } from "./helpers/process.ts";
import { need } from "./helpers/service-env.ts";

const PROMTOOL = "/usr/bin/promtool";

/** The app's answer to a path that is none of its operations: the JSON 404 in Zulip's error shape (as in docs.test.ts). */
async function expectNotFound(r: Response) {
  expect(r.status).toBe(404);
  expect(r.headers.get("content-type")).toBe("application/json");
  expect(await r.text()).toBe(`{"result":"error","msg":"Not Found","code":"BAD_REQUEST"}\n`);
}

/** `promtool check metrics` on an exposition: its exit code and what it said. */
function promtoolCheck(exposition: string): Promise<{ code: number | null; output: string }> {
  const child = spawn(PROMTOOL, ["check", "metrics"], { stdio: ["pipe", "pipe", "pipe"] });
  let output = "";
  child.stdout.on("data", (d: Buffer) => (output += d));
  child.stderr.on("data", (d: Buffer) => (output += d));
  child.stdin.end(exposition);
  return new Promise((resolve) => child.once("close", (code) => resolve({ code, output })));
}

/** The value of the sample written exactly as `series` (name and labels) in an exposition. */
function sample(exposition: string, series: string): number | undefined {
  const line = exposition.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

const login = (username: string, password: string, host?: string) => ({ ...form({ username, password }), ...(host ? { host } : {}) });

describe("metrics in-process", () => {
  it("count login outcomes, rate-limit refusals by rule, argon2 verifications and request durations by route, in a registry per app", async () => {
    const s = await createTestServer({ metrics: true, limits: { userAddress: { attempts: 2, windowSeconds: 600 } } });
    const other = await createTestServer({ metrics: true });
    await s.request("/api/v1/fetch_api_key", login(USERS.iago.email, USERS.iago.password));
    await s.request("/api/v1/fetch_api_key", login("nobody@zulip.com", "x-1"));
    for (let i = 0; i < 3; i++) await s.request("/api/v1/fetch_api_key", login(USERS.hamlet.email, "wrong-1"));
    await s.request("/api/v1/fetch_api_key", login(USERS.othello.email, USERS.othello.password, "gone.zulip.test"));
    await s.request("/nope");
    await s.request("/api/v1/server_settings");

    const text = await s.metrics!.registry.metrics();
    const attempts = (outcome: string) => sample(text, `zulip_auth_login_attempts_total{endpoint="fetch_api_key",outcome="${outcome}"}`);
    expect([attempts("success"), attempts("AUTHENTICATION_FAILED"), attempts("RATE_LIMIT_HIT"), attempts("REALM_DEACTIVATED")]).toEqual([1, 3, 1, 1]);
    expect(sample(text, 'zulip_auth_rate_limit_refusals_total{rule="user-address"}')).toBe(1);
    // iago, nobody (dummy hash), hamlet twice; the refusals spend none.
    expect(sample(text, "zulip_auth_argon2_verify_seconds_count")).toBe(4);
    expect(sample(text, 'zulip_auth_hash_queue{state="pending"}')).toBe(0);
    expect(sample(text, 'zulip_auth_http_request_duration_seconds_count{method="POST",route="/api/v1/fetch_api_key",status="401"}')).toBe(4);
    expect(sample(text, 'zulip_auth_http_request_duration_seconds_count{method="GET",route="unmatched",status="404"}')).toBe(1);
    expect(sample(text, 'zulip_auth_http_request_duration_seconds_count{method="GET",route="/api/v1/server_settings",status="200"}')).toBe(1);
    expect(text).toMatch(/^process_cpu_user_seconds_total \d/m);
    expect(text).toMatch(/^nodejs_eventloop_lag_seconds \d/m);

    const otherText = await other.metrics!.registry.metrics();
    expect(otherText).toContain("# TYPE zulip_auth_login_attempts_total counter");
    expect(otherText).not.toMatch(/^zulip_auth_login_attempts_total\{/m);
  });

  it("are never served by the app, whose port is the public one", async () => {
    const s = await createTestServer({ metrics: true });
    await expectNotFound(await s.request("/metrics"));
  });
});

describe("a scrape", () => {
  it("is collected at most once a second, however many scrapers ask", async () => {
    const s = await createTestServer({ metrics: true });
    let collected = 0;
    const registry = s.metrics!.registry;
    const collect = registry.metrics.bind(registry);
    registry.metrics = () => {
      collected++;
      return collect();
    };
    let now = 1_000_000;
    const scrape = cachedScrape(s.metrics!, () => now);
    const first = await scrape();
    await s.request("/api/v1/fetch_api_key", form({ username: USERS.iago.email, password: USERS.iago.password }));
    const texts = await Promise.all(Array.from({ length: 20 }, () => scrape()));
    expect(collected).toBe(1);
    expect(new Set(texts)).toEqual(new Set([first]));
    now += METRICS_CACHE_MS;
    const fresh = await scrape();
    expect(collected).toBe(2);
    expect(sample(fresh, 'zulip_auth_login_attempts_total{endpoint="fetch_api_key",outcome="success"}')).toBe(1);
  });
});

describe("serve --metrics, scraped after real logins", () => {
  it("passes promtool check metrics, with the login-outcome samples", { timeout: 60_000 }, async (ctx) => {
    need(ctx, existsSync(PROMTOOL) ? undefined : "promtool is not installed (apt-get install prometheus, as .ci/run does)");
    const db = join(mkdtempSync(join(tmpdir(), "zulip-auth-metrics-")), "metrics.sqlite");
    await runCli(["org", "add", "", "--db", db]);
    await runCli(["user", "add", "iago@zulip.com", "--password-stdin", "--db", db], { stdin: "Sup3r-secret-pass" });
    const server = await startServerProcess(["serve", "--port", "0", "--db", db, "--metrics", "--metrics-port", "0", "--rate-limit", "3/600"]);
    try {
      const metricsUrl = (await server.waitForOutput(/"url":"(http:\/\/[^"]+\/metrics)","msg":"metrics"/))[1]!;
      const post = (username: string, password: string) => fetch(`${server.url}/api/v1/fetch_api_key`, form({ username, password }));
      expect((await post("iago@zulip.com", "Sup3r-secret-pass")).status).toBe(200);
      expect((await post("nobody@zulip.com", "Nobody-pass-1")).status).toBe(401);
      for (let i = 0; i < 3; i++) await post("iago@zulip.com", "Wrong-pass-1");
      expect((await post("iago@zulip.com", "Sup3r-secret-pass")).status).toBe(429);

      const scrape = await fetch(metricsUrl);
      expect(scrape.status).toBe(200);
      expect(scrape.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
      const text = await scrape.text();
      const check = await promtoolCheck(text);
      expect(check, check.output).toEqual({ code: 0, output: "" });
      const attempts = (outcome: string) => sample(text, `zulip_auth_login_attempts_total{endpoint="fetch_api_key",outcome="${outcome}"}`);
      expect([attempts("success"), attempts("AUTHENTICATION_FAILED"), attempts("RATE_LIMIT_HIT")]).toEqual([1, 4, 1]);
      expect(sample(text, 'zulip_auth_rate_limit_refusals_total{rule="user-address"}')).toBe(1);
      expect(sample(text, "zulip_auth_argon2_verify_seconds_count")).toBe(5);
      expect(sample(text, 'zulip_auth_hash_queue{state="active"}')).toBe(0);
      expect(sample(text, 'zulip_auth_http_request_duration_seconds_count{method="POST",route="/api/v1/fetch_api_key",status="401"}')).toBe(4);
      expect(text).toMatch(/^process_resident_memory_bytes \d/m);
      expect(text).not.toContain("Sup3r-secret-pass");
    } finally {
      await server.stop();
    }
  });

  it("are served on a listener of their own, on 127.0.0.1 unless --metrics-host says otherwise, never on the public port", { timeout: 60_000 }, async (ctx) => {
    need(ctx, existsSync(PROMTOOL) ? undefined : "promtool is not installed (apt-get install prometheus, as .ci/run does)");
    const db = join(mkdtempSync(join(tmpdir(), "zulip-auth-metrics-")), "metrics.sqlite");
    await runCli(["org", "add", "", "--db", db]);
    // Public on 0.0.0.0 (as behind a load balancer): the metrics still listen on loopback only.
    const server = await startServerProcess(["serve", "--host", "0.0.0.0", "--port", "0", "--db", db, "--metrics-port", "0", "--headers-timeout", "1000"]);
    try {
      const metricsUrl = (await server.waitForOutput(/"url":"(http:\/\/[^"]+\/metrics)","msg":"metrics"/))[1]!;
      expect(new URL(metricsUrl).hostname).toBe("127.0.0.1");
      expect(new URL(metricsUrl).port).not.toBe(new URL(server.url).port);
      // The metrics listener cuts off a client that never finishes its headers, as the public one does.
      const started = performance.now();
      const cut = await rawExchange(metricsUrl, "GET /metrics HTTP/1.1\r\nHost: x\r\n");
      expect(cut).toMatch(/^HTTP\/1\.1 408 /);
      expect(performance.now() - started).toBeLessThan(15_000);
      const publicUrl = server.url.replace("0.0.0.0", "127.0.0.1");
      const login = await fetch(`${publicUrl}/api/v1/fetch_api_key`, form({ username: "nobody@zulip.com", password: "Nobody-pass-1" }));
      expect((await conformant("fetch-api-key", login)).status).toBe(401);
      const scrape = await fetch(metricsUrl);
      expect(scrape.status).toBe(200);
      const text = await scrape.text();
      expect(await promtoolCheck(text)).toEqual({ code: 0, output: "" });
      expect(sample(text, 'zulip_auth_login_attempts_total{endpoint="fetch_api_key",outcome="AUTHENTICATION_FAILED"}')).toBe(1);
      await expectNotFound(await fetch(`${publicUrl}/metrics`));
      expect((await fetch(metricsUrl.replace("/metrics", "/api/v1/server_settings"))).status).toBe(404);
      expect((await fetch(metricsUrl, { method: "POST" })).status).toBe(405);
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });
});
