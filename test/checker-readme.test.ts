import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { RunningServer } from "../src/server/start.ts";
import { createCheckedServer, listenOverHttp } from "./helpers/checker.ts";
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

it("the README's library example runs as written and reports our server conformant", async () => {
  const readme = readFileSync("README.md", "utf8");
  const example = /### As a library[\s\S]*?```ts\n([\s\S]*?)```/.exec(readme)?.[1];
  expect(example).toBeDefined();
  // Only the server's address and the import's location change: the example runs from a temporary folder (as
  // an ES module, .mts, for its top-level await).
  const code = example!
    .replace("http://127.0.0.1:9991", server.url)
    .replace('"./src/checker/index.ts"', JSON.stringify(pathToFileURL(join(process.cwd(), "src/checker/index.ts")).href));
  const file = join(mkdtempSync(join(tmpdir(), "zulip-auth-readme-")), "example.mts");
  writeFileSync(file, code);
  const { stdout } = await run(process.execPath, ["--import", "tsx", file], { env: { ...process.env, PW: USERS.iago.password } });
  expect(stdout).toContain(`zulip-auth check ${server.url} as iago@zulip.com`);
  expect(stdout).toMatch(/^SKIP  fetch-api-key\.rate-limit /m);
  expect(stdout.trimEnd().split("\n").at(-1)).toBe("CONFORMANT: no violation found (exit 0)");
});
