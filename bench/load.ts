// Child process: runs autocannon with the options given as JSON in argv[2] and prints a JSON summary
// (LoadResult). Run in its own process so the load generator never shares an event loop with a server.
import autocannon from "autocannon";

/** What the parent asks for: autocannon's own options, minus callbacks (they do not cross processes). */
export type LoadOptions = Omit<autocannon.Options, "setupClient" | "verifyBody">;

/** The figures a benchmark reads from one autocannon run. */
export interface LoadResult {
  /** Completed responses, any status. */
  completed: number;
  seconds: number;
  perSecond: number;
  latencyMs: { p50: number; p99: number; max: number };
  statusCodes: Record<string, number>;
  errors: number;
  timeouts: number;
}

const options = JSON.parse(process.argv[2]!) as LoadOptions;
const result = await autocannon(options);
const summary: LoadResult = {
  completed: result.requests.total,
  seconds: result.duration,
  perSecond: result.requests.total / result.duration,
  latencyMs: { p50: result.latency.p50, p99: result.latency.p99, max: result.latency.max },
  statusCodes: Object.fromEntries(Object.entries(result.statusCodeStats as Record<string, { count: number }>).map(([code, s]) => [code, s.count])),
  errors: result.errors,
  timeouts: result.timeouts,
};
process.stdout.write(JSON.stringify(summary) + "\n");
