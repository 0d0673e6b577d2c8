import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { PasswordHasher } from "../auth/password-hasher.ts";

/** The server's Prometheus metrics, in a registry of their own (one per app, so tests never collide). */
export interface Metrics {
  registry: Registry;
  loginAttempts: Counter<"endpoint" | "outcome">;
  rateLimitRefusals: Counter<"rule">;
  requestDuration: Histogram<"method" | "route" | "status">;
}

/**
 * Creates the registry: login outcomes, rate-limit refusals, request durations, argon2 verification time and
 * the hash queue (read from `hasher` at each scrape), and Node's default process metrics.
 */
export function createMetrics(hasher: PasswordHasher): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  // Gauges named like counters, which `promtool check metrics` rejects; each is the sum of the per-type gauge
  // without the suffix (nodejs_active_handles{type} and so on), so nothing is lost.
  for (const name of ["nodejs_active_handles_total", "nodejs_active_requests_total", "nodejs_active_resources_total"]) registry.removeSingleMetric(name);
  const verifySeconds = new Histogram({
    name: "zulip_auth_argon2_verify_seconds",
    help: "Time of one argon2 verification on the thread pool, queue wait excluded",
    // Around OWASP's parameters (≈ 40 ms on one core) and the slowdowns a loaded machine shows.
    buckets: [0.005, 0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56],
    registers: [registry],
  });
  hasher.onVerified = (seconds) => verifySeconds.observe(seconds);
  new Gauge({
    name: "zulip_auth_hash_queue",
    help: "argon2 hashes and verifications running (state=active, at most one per core and one more) and waiting for a slot (state=pending)",
    labelNames: ["state"],
    registers: [registry],
    collect() {
      const { active, size: pending } = hasher.queue;
      this.set({ state: "active" }, active);
      this.set({ state: "pending" }, pending);
    },
  });
  return {
    registry,
    loginAttempts: new Counter({
      name: "zulip_auth_login_attempts_total",
      help: "fetch_api_key and dev_fetch_api_key attempts by outcome (success or the answer's error code)",
      labelNames: ["endpoint", "outcome"],
      registers: [registry],
    }),
    rateLimitRefusals: new Counter({
      name: "zulip_auth_rate_limit_refusals_total",
      help: "Logins refused with RATE_LIMIT_HIT, by the rule that refused them",
      labelNames: ["rule"],
      registers: [registry],
    }),
    requestDuration: new Histogram({
      name: "zulip_auth_http_request_duration_seconds",
      help: "Time from the request's arrival to its answer, by route (unmatched for unknown paths) and status",
      labelNames: ["method", "route", "status"],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
  };
}
