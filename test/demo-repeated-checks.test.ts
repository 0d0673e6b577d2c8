import { afterAll, beforeAll, expect, it } from "vitest";
import { conformant, form } from "./helpers/harness.ts";
import { runCli, type ServerProcess, startServerProcess } from "./helpers/process.ts";

// The demo is a test server for client developers: a client's suite, or the checker, runs against it again and
// again. Each full checker run spends several failed logins from the same address; with serve's defaults the
// demo refused the 4th run. Ten runs in a row must each find it conformant, and othello must stay refused.

const RUNS = 10;
let demo: ServerProcess;

beforeAll(async () => {
  demo = await startServerProcess(["demo", "--port", "0"]);
});
afterAll(async () => {
  await demo?.stop();
});

it(`${RUNS} full checker runs in a row all find the demo conformant`, async () => {
  for (let run = 1; run <= RUNS; run++) {
    const r = await runCli(["check", demo.url, "--username", "iago@zulip.com", "--password-env", "PW", "--json"], { env: { PW: "abcd1234" } });
    expect(r.code, `run ${run}: ${r.stderr}`).toBe(0);
    expect(JSON.parse(r.stdout).status, `run ${run}`).toBe("conformant");
  }
});

it("othello is still rate-limited after them, with his right password", async () => {
  const answer = await conformant(
    "fetch-api-key",
    await fetch(`${demo.url}/api/v1/fetch_api_key`, form({ username: "othello@zulip.com", password: "abcd1234" })),
  );
  expect(answer.status).toBe(429);
  expect(answer.body).toMatchObject({ code: "RATE_LIMIT_HIT" });
});
