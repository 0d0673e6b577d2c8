import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO_SCENARIOS, demoCurl, demoMarkdown, demoSite } from "../src/admin/demo.ts";
import { createZulipAuthClient } from "../src/client/index.ts";
import { getContractValidator } from "../src/contract/validator.ts";
import { type ServerProcess, startServerProcess } from "./helpers/process.ts";
import { parseRawHttp } from "./helpers/raw-http.ts";

const run = promisify(execFile);

/**
 * A fetch that sends every request to the demo on 127.0.0.1 with the URL's host as Host: Node's fetch neither
 * resolves `*.localhost` (curl does) nor lets a caller set Host.
 */
function loopbackFetch(port: number) {
  return async (request: Request): Promise<Response> => {
    const url = new URL(request.url);
    const body = Buffer.from(await request.arrayBuffer());
    const headers: Record<string, string> = Object.fromEntries(request.headers);
    return new Promise((resolve, reject) => {
      const req = httpRequest(
        {
          host: "127.0.0.1",
          port,
          method: request.method,
          path: url.pathname + url.search,
          headers: { ...headers, host: url.host, "content-length": String(body.length) },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => {
            const h = new Headers();
            for (const [k, v] of Object.entries(res.headers)) if (typeof v === "string") h.set(k, v);
            resolve(new Response(Buffer.concat(chunks), { status: res.statusCode!, headers: h }));
          });
        },
      );
      req.once("error", reject);
      req.end(body);
    });
  };
}

describe("the demo's scenario table, over real HTTP", () => {
  let demo: ServerProcess;
  let port: number;
  let banner: string;
  beforeAll(async () => {
    demo = await startServerProcess(["demo", "--port", "0"]);
    port = Number(new URL(demo.url).port);
    await demo.waitForOutput(/API reference: /);
    banner = demo.output();
  });
  afterAll(async () => {
    await demo?.stop();
  });

  const client = (subdomain: string) => createZulipAuthClient({ baseUrl: demoSite(subdomain, port), fetch: loopbackFetch(port) });

  it("answers every row as the table says, through the typed client", async () => {
    for (const row of DEMO_SCENARIOS) {
      const result = await client(row.subdomain).fetchApiKey({ username: row.username, password: row.password });
      const seen = result.data ? `200 success ${result.data.email}` : `${"status" in result.error ? result.error.status : "-"} ${result.error.code}`;
      expect(seen, `${demoSite(row.subdomain, port)} ${row.username}`).toBe(
        row.status === 200 ? `200 success ${row.username}` : `${row.status} ${row.outcome}`,
      );
    }
  });

  it("prints the table and one curl line per row, and each line answers as its row says (twice: othello stays limited)", async () => {
    for (const row of DEMO_SCENARIOS)
      expect(banner).toMatch(
        new RegExp(`${row.subdomain ? `${row.subdomain}\\.` : ""}localhost\\s+${row.username.replace(".", "\\.")}\\s+${row.status} ${row.outcome}`),
      );
    const lines = banner.split("\n").filter((l) => l.startsWith("  curl "));
    expect(lines.map((l) => l.trim())).toEqual(DEMO_SCENARIOS.map((row) => demoCurl(row, port)));
    const validator = await getContractValidator();
    for (const round of [1, 2]) {
      for (const [i, line] of lines.entries()) {
        const row = DEMO_SCENARIOS[i]!;
        const { stdout } = await run("curl", ["-i", ...line.trim().split(" ").slice(1)]);
        const answer = parseRawHttp(stdout);
        expect(validator.validateResponse("fetch-api-key", answer), line).toEqual([]);
        const body = JSON.parse(answer.bodyText) as { result: string; code?: string };
        expect(`${answer.status} ${body.code ?? body.result}`, `round ${round}: ${line}`).toBe(`${row.status} ${row.outcome}`);
      }
    }
  });

  it("gives each organization's own settings in server_settings", async () => {
    const expected = [
      { subdomain: "", realm_name: "Zulip Dev", email_auth_enabled: true },
      { subdomain: "zephyr", realm_name: "Zephyr", email_auth_enabled: true },
      { subdomain: "lear", realm_name: "Lear & Co.", email_auth_enabled: true },
      { subdomain: "nopw", realm_name: "No Passwords Inc.", email_auth_enabled: false },
    ];
    for (const org of expected) {
      const result = await client(org.subdomain).serverSettings();
      expect(result.error).toBeUndefined();
      expect(result.data).toMatchObject({
        realm_name: org.realm_name,
        realm_url: demoSite(org.subdomain, port),
        email_auth_enabled: org.email_auth_enabled,
        authentication_methods: { password: org.email_auth_enabled, dev: true },
      });
    }
    const unknown = await client("nosuch").serverSettings();
    expect(unknown.error).toMatchObject({ status: 400, code: "BAD_REQUEST", msg: "Invalid subdomain" });
  });
});

describe("docs/demo.md", () => {
  it("shows the scenario table and the curl lines the demo prints (for its default port, 9991)", () => {
    expect(readFileSync("docs/demo.md", "utf8")).toContain(demoMarkdown(9991));
  });
});
