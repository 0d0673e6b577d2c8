import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { USERS } from "./helpers/harness.ts";
import { runCli } from "./helpers/process.ts";
import { healthy, type Scenario } from "./helpers/scenarios.ts";

const FIXTURE = "test/fixtures/zulip-js-client.cjs";

/** Runs zulip-js (npm, 2.1.0) in its own process: it replaces globalThis.FormData, so never in this one. */
async function zulipJs(request: Record<string, string>): Promise<Record<string, unknown>> {
  const child = spawn(process.execPath, [FIXTURE], { stdio: ["pipe", "pipe", "inherit"] });
  let stdout = "";
  child.stdout.on("data", (d) => (stdout += d));
  // The password goes through stdin, never the command line.
  child.stdin.end(JSON.stringify(request));
  await once(child, "close");
  return JSON.parse(stdout) as Record<string, unknown>;
}

describe("the npm client zulip-js against our server over real HTTP", () => {
  let s: Scenario;
  beforeAll(async () => {
    s = await healthy();
  });
  afterAll(async () => {
    await s.http.close();
  });

  it("logs in with username and password (multipart) and receives the user's key", async () => {
    const before = s.http.answers.length;
    const result = await zulipJs({ realm: s.http.url, username: USERS.iago.email, password: USERS.iago.password });
    expect(result).toEqual({
      realm: s.http.url,
      username: USERS.iago.email,
      apiKey: (await s.server.admin.user("", USERS.iago.email)).api_key,
      apiURL: `${s.http.url}/api/v1`,
    });
    const answers = s.http.answers.slice(before);
    expect(answers).toHaveLength(1);
    expect(answers[0]).toMatchObject({ operationId: "fetch-api-key", status: 200, violations: [] });
    expect(answers[0]!.requestContentType).toMatch(/^multipart\/form-data; ?boundary=/);
  });

  it("gets no key for a wrong password (and our answer is the contract's 401)", async () => {
    const before = s.http.answers.length;
    const result = await zulipJs({ realm: s.http.url, username: USERS.iago.email, password: "wrong-password" });
    expect(result.apiKey).toBeNull();
    expect(s.http.answers.slice(before)).toMatchObject([{ operationId: "fetch-api-key", status: 401, violations: [] }]);
  });

  it("reads the zuliprc that `zulip-auth login` writes", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "zulip-auth-zjs-")), "zuliprc");
    const login = await runCli(["login", s.http.url, "--username", USERS.hamlet.email, "--password-stdin", "--zuliprc", path], {
      stdin: USERS.hamlet.password,
    });
    expect(login.code).toBe(0);
    const result = await zulipJs({ zuliprc: path });
    expect(result).toEqual({
      realm: s.http.url,
      username: USERS.hamlet.email,
      apiKey: (await s.server.admin.user("", USERS.hamlet.email)).api_key,
      apiURL: `${s.http.url}/api/v1`,
    });
  });
});
