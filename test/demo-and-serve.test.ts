import { execFile } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getContractValidator } from "../src/contract/validator.ts";
import { conformant, form } from "./helpers/harness.ts";
import { runCli, type ServerProcess, startProcess, startServerProcess } from "./helpers/process.ts";
import { parseRawHttp } from "./helpers/raw-http.ts";

const run = promisify(execFile);

/** Runs curl with `-i` and splits what it printed into an Answer. */
async function curl(args: string[]) {
  const { stdout } = await run("curl", ["-i", ...args]);
  return parseRawHttp(stdout);
}

describe("npm run demo, over real HTTP", () => {
  let demo: ServerProcess;
  beforeAll(async () => {
    // Exactly as the README says, `npm run demo -- --port N` (0: a free port); npm's script execs the built CLI,
    // so stopping npm stops the demo.
    demo = await startProcess("npm", ["run", "demo", "--", "--port", "0"]);
  });
  afterAll(async () => {
    await demo?.stop();
  });

  it("prints the docs' curl, which answers a success shaped like the docs' example", async () => {
    const printed = await demo.waitForOutput(/curl -sSX POST (\S+) --data-urlencode (\S+) --data-urlencode (\S+)/);
    const answer = await curl(["-sSX", "POST", printed![1]!, "--data-urlencode", printed![2]!, "--data-urlencode", printed![3]!]);
    const validator = await getContractValidator();
    expect(validator.validateResponse("fetch-api-key", answer)).toEqual([]);
    expect(answer.status).toBe(200);
    const body = JSON.parse(answer.bodyText);
    expect(Object.keys(body)).toEqual(["result", "msg", "api_key", "email", "user_id"]);
    expect(body).toMatchObject({ result: "success", msg: "", email: "iago@zulip.com" });
    expect(body.api_key).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(Number.isInteger(body.user_id)).toBe(true);
  });

  it("runs in dev mode with the root organization named Zulip Dev, and hamlet can log in", async () => {
    const settings = await conformant<{ realm_name: string; authentication_methods: { dev: boolean } }>(
      "get-server-settings",
      await fetch(`${demo.url}/api/v1/server_settings`),
    );
    expect(settings.body.realm_name).toBe("Zulip Dev");
    expect(settings.body.authentication_methods.dev).toBe(true);
    const hamlet = await conformant(
      "fetch-api-key",
      await fetch(`${demo.url}/api/v1/fetch_api_key`, form({ username: "hamlet@zulip.com", password: "hamlet1234" })),
    );
    expect(hamlet.status).toBe(200);
    const dev = await conformant("dev-fetch-api-key", await fetch(`${demo.url}/api/v1/dev_fetch_api_key`, form({ username: "hamlet@zulip.com" })));
    expect(dev.body.api_key).toBe(hamlet.body.api_key);
  });
});

describe("zulip-auth serve", () => {
  let db: string;
  let server: ServerProcess;
  beforeAll(async () => {
    db = join(mkdtempSync(join(tmpdir(), "zulip-auth-serve-")), "serve.sqlite");
    await runCli(["org", "add", "", "--db", db]);
    await runCli(["user", "add", "iago@zulip.com", "--password-stdin", "--db", db], { stdin: "Sup3r-secret-pass" });
    server = await startServerProcess(["serve", "--port", "0", "--db", db]);
  });
  afterAll(async () => {
    await server?.stop();
  });

  const login = () => fetch(`${server.url}/api/v1/fetch_api_key`, form({ username: "iago@zulip.com", password: "Sup3r-secret-pass" }));

  it("sees CLI changes on the next request", async () => {
    expect((await conformant("fetch-api-key", await login())).status).toBe(200);
    expect((await runCli(["user", "deactivate", "iago@zulip.com", "--db", db])).code).toBe(0);
    const refused = await conformant("fetch-api-key", await login());
    expect(refused.status).toBe(401);
    expect(refused.body.code).toBe("USER_DEACTIVATED");
    await runCli(["user", "reactivate", "iago@zulip.com", "--db", db]);
    expect((await conformant("fetch-api-key", await login())).status).toBe(200);
  });

  it("refuses dev_fetch_api_key without --dev", async () => {
    const r = await conformant("dev-fetch-api-key", await fetch(`${server.url}/api/v1/dev_fetch_api_key`, form({ username: "iago@zulip.com" })));
    expect(r.status).toBe(400);
    expect(r.body.msg).toBe("DevAuthBackend not enabled.");
  });

  it("logs no password or key", async () => {
    const key = (await conformant("fetch-api-key", await login())).body.api_key as string;
    expect(server.output()).not.toContain("Sup3r-secret-pass");
    expect(server.output()).not.toContain(key);
  });

  it("stops on SIGTERM with exit 0", async () => {
    expect(await server.stop("SIGTERM")).toBe(0);
  });
});
