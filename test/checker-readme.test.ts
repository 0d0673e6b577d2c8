import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, expect, it } from "vitest";
import { checkServer, formatHuman } from "../src/checker/index.ts";
import type { RunningServer } from "../src/server/start.ts";
import { createCheckedServer, listenOverHttp } from "./helpers/checker.ts";
import { FAKE_ACCOUNT, fakeZulip } from "./helpers/fake-zulip.ts";
import { USERS } from "./helpers/harness.ts";

const run = promisify(execFile);
let server: RunningServer;

beforeAll(async () => {
  const ours = await createCheckedServer();
  server = await listenOverHttp(ours.app.fetch, ours.store);
});
afterAll(async () => {
  await server?.close();
});

it("the library example of docs/checker.md runs as written and reports our server conformant", async () => {
  const readme = readFileSync("docs/checker.md", "utf8");
  const example = /## As a library[\s\S]*?```ts\n([\s\S]*?)```/.exec(readme)?.[1];
  expect(example).toBeDefined();
  // The example imports the package as a user does; only the server's address and where the package is change:
  // it runs from a temporary folder (as an ES module, .mts, for its top-level await).
  expect(example).toContain('from "zulip-auth/checker"');
  const code = example!
    .replace("http://127.0.0.1:9991", server.url)
    .replace('"zulip-auth/checker"', JSON.stringify(pathToFileURL(join(process.cwd(), "src/checker/index.ts")).href));
  const file = join(mkdtempSync(join(tmpdir(), "zulip-auth-readme-")), "example.mts");
  writeFileSync(file, code);
  const { stdout } = await run(process.execPath, ["--import", "tsx", file], { env: { ...process.env, PW: USERS.iago.password } });
  expect(stdout).toContain(`zulip-auth check ${server.url} as iago@zulip.com`);
  expect(stdout).toMatch(/^SKIP  fetch-api-key\.rate-limit /m);
  expect(stdout.trimEnd().split("\n").at(-1)).toBe("CONFORMANT: no violation found (exit 0)");
});

it("docs/checker.md shows the very report a run against a production Zulip 10 prints (timings aside)", async () => {
  const docs = readFileSync("docs/checker.md", "utf8");
  const shown = /## A real run[\s\S]*?```text\n([\s\S]*?)```/.exec(docs)?.[1];
  expect(shown).toBeDefined();
  const report = await checkServer({
    baseUrl: "http://127.0.0.1:9991",
    username: FAKE_ACCOUNT.email,
    password: FAKE_ACCOUNT.password,
    fetch: fakeZulip({ version: "10.0", accounts: [FAKE_ACCOUNT] }),
  });
  const normalize = (text: string) =>
    text
      .replace(/\(\d+ ms\)/g, "(N ms)")
      .replace(/requests {2}(\d+) in [\d.]+ s/, "requests  $1 in N s")
      .trimEnd();
  expect(normalize(formatHuman(report))).toBe(normalize(shown!));
});
