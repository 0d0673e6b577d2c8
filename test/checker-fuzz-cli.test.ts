import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FUZZ_CHECK_IDS } from "../src/checker/index.ts";
import type { RunningServer } from "../src/server/start.ts";
import { expectDocumentedShape, listenOverHttp } from "./helpers/checker.ts";
import { fuzzedServer } from "./helpers/fuzz-broken.ts";
import { USERS } from "./helpers/harness.ts";
import { runCli } from "./helpers/process.ts";

const env = { PW: USERS.iago.password };
const args = (url: string, ...more: string[]) => ["check", url, "--username", USERS.iago.email, "--password-env", "PW", ...more];

describe("zulip-auth check --fuzz", () => {
  let server: RunningServer;
  beforeAll(async () => {
    const s = await fuzzedServer();
    server = await listenOverHttp(s.app.fetch, s.store);
  });
  afterAll(() => server.close());

  it("fuzzes after the cases on loopback, unpaced, and reports the fuzz section in JSON", async () => {
    const r = await runCli(args(server.url, "--fuzz", "120", "--fuzz-seed", "5", "--json"), { env });
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    expectDocumentedShape(report);
    expect(report.fuzz).toMatchObject({ seed: 5, budget: 120, sent: 120, rate: null, buckets: [], stopped: { kind: "budget" } });
    expect(report.summary.account).toMatchObject({ failedLogins: 1, successfulLogins: 2 });
  });

  it("prints the plan and sends nothing with --fuzz-plan", async () => {
    const r = await runCli(
      ["check", "http://127.0.0.1:9", "--username", USERS.iago.email, "--password-env", "PW", "--fuzz", "300", "--fuzz-seed", "3", "--fuzz-plan"],
      { env },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Fuzz plan: 300 requests at most, seed 3; nothing was sent/);
    expect(r.stdout).toMatch(/fetch-api-key\s+examples\s+plain\s+1/);
    expect(r.stdout).toMatch(/dev-fetch-api-key\s+matrix\s+dev:route/);
  });

  it("lists the fuzz checks in --help", async () => {
    const r = await runCli(["check", "--help"]);
    for (const id of FUZZ_CHECK_IDS) expect(r.stdout).toContain(id);
    expect(r.stdout).toContain("--fuzz-rate");
  });

  it("exits 2 on bad fuzz usage, with one line saying what is wrong", async () => {
    const usage: [string[], RegExp][] = [
      [args(server.url, "--fuzz", "0"), /expected a whole number of requests above 0/],
      [args(server.url, "--fuzz-seed", "4"), /--fuzz-seed, --fuzz-plan and --fuzz-rate go with --fuzz N/],
      [args(server.url, "--fuzz", "10", "--fuzz-seed", "-1"), /expected a whole number/],
      [args(server.url, "--fuzz", "10", "--fuzz-rate", "fast"), /expected a number of requests per second/],
      [args(server.url, "--only", "no-echo"), /no-echo is a check of fuzzing: add --fuzz N to run it/],
      [args(server.url, "--fuzz", "10", "--skip", FUZZ_CHECK_IDS.join(",")), /leave no fuzz check to run/],
    ];
    const results = await Promise.all(usage.map(([argv]) => runCli(argv, { env })));
    for (const [i, [argv, message]] of usage.entries()) {
      expect(results[i]!.code, argv.join(" ")).toBe(2);
      expect(results[i]!.stderr, argv.join(" ")).toMatch(message);
    }
  });
});
