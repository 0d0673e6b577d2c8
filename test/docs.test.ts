import { mkdtempSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import SwaggerParser from "@apidevtools/swagger-parser";
import { afterEach, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { CONTRACT_PATH, loadContract } from "../src/contract/spec.ts";
import { conformant, createTestServer, type TestServer } from "./helpers/harness.ts";
import { runCli, type ServerProcess, startServerProcess } from "./helpers/process.ts";

const require = createRequire(import.meta.url);
const NOT_FOUND = `{"result":"error","msg":"Not Found","code":"BAD_REQUEST"}\n`;

type Doc = Record<string, unknown> & { servers: { url: string }[]; paths: Record<string, { servers?: { url: string }[] }> };

/** The document without its servers: the top-level ones and those of paths that override them (/healthz). */
const withoutServers = ({ servers: _servers, ...rest }: Record<string, unknown>) => {
  const paths = Object.fromEntries(Object.entries(rest.paths as Doc["paths"]).map(([path, { servers: _s, ...item }]) => [path, item]));
  return { ...rest, paths };
};

/** The local stylesheet, script and icon references of an HTML page. */
const referencedAssets = (html: string) => [...html.matchAll(/(?:src|href)="(\/docs\/[^"]+)"/g)].map((m) => m[1]!);

async function expectNotFound(s: TestServer, path: string) {
  const r = await s.request(path);
  expect(r.status, path).toBe(404);
  expect(r.headers.get("content-type")).toBe("application/json");
  expect(await r.text()).toBe(NOT_FOUND);
}

describe("docs off (the default)", () => {
  it.each(["/docs", "/docs/", "/docs/swagger-ui-bundle.js", "/docs/init.js", "/openapi.json", "/openapi.yaml"])(
    "%s is the JSON 404 of any unknown path",
    async (path) => {
      await expectNotFound(await createTestServer(), path);
    },
  );
});

describe("/openapi.json and /openapi.yaml", () => {
  it("serve the contract as written, valid, with this host's server URL as the only server", async () => {
    const s = await createTestServer({ config: { docs: true } });
    const { raw } = await loadContract();

    const json = await s.request("/openapi.json");
    expect(json.status).toBe(200);
    expect(json.headers.get("content-type")).toBe("application/json; charset=utf-8");
    const fromJson = (await json.json()) as Doc;

    const yaml = await s.request("/openapi.yaml");
    expect(yaml.status).toBe(200);
    expect(yaml.headers.get("content-type")).toBe("application/yaml; charset=utf-8");
    const yamlText = await yaml.text();
    const fromYaml = parseYaml(yamlText) as Doc;

    expect(fromYaml).toEqual(fromJson);
    // Same paths, operations, schemas and examples: only the servers differ from the file.
    expect(withoutServers(fromJson)).toEqual(withoutServers(raw as unknown as Record<string, unknown>));
    expect(fromJson.servers.map((server) => server.url)).toEqual(["http://zulip.test/api/v1"]);
    expect(fromJson.paths["/healthz"]!.servers!.map((server) => server.url)).toEqual(["http://zulip.test"]);
    await expect(SwaggerParser.validate(structuredClone(fromJson) as never)).resolves.toBeTruthy();
    // Apart from the servers, the YAML is the file as written (layout, quoting, comments), not a re-serialisation.
    const file = readFileSync(CONTRACT_PATH, "utf8");
    expect(yamlText.slice(0, yamlText.indexOf("\nservers:\n"))).toBe(file.slice(0, file.indexOf("\nservers:\n")));
    const between = (text: string, from: string, to: string) => text.slice(text.indexOf(from), text.indexOf(to));
    expect(between(yamlText, "\ntags:\n", "\n  /healthz:\n")).toBe(between(file, "\ntags:\n", "\n  /healthz:\n"));
    expect(yamlText.slice(yamlText.indexOf("\n    get:\n      operationId: get-health"))).toBe(
      file.slice(file.indexOf("\n    get:\n      operationId: get-health")),
    );
  });

  it("name the server URL that server_settings reports as realm_url, for each Host", async () => {
    const s = await createTestServer({ config: { docs: true } });
    for (const host of ["zulip.test", "lear.zulip.test:9991", "127.0.0.1:9991"]) {
      const settings = await conformant<{ realm_url: string }>("get-server-settings", await s.request("/api/v1/server_settings", { host }));
      const doc = (await (await s.request("/openapi.json", { host })).json()) as Doc;
      expect(doc.servers[0]!.url).toBe(`${settings.body.realm_url}/api/v1`);
      expect(doc.servers[0]!.url).toContain(host);
    }
  });

  it("use the external URL behind a proxy", async () => {
    const s = await createTestServer({ config: { docs: true, externalUrl: "https://chat.example.com" } });
    const settings = await conformant<{ realm_url: string }>("get-server-settings", await s.request("/api/v1/server_settings", { host: "lear.zulip.test" }));
    const doc = parseYaml(await (await s.request("/openapi.yaml", { host: "lear.zulip.test" })).text()) as Doc;
    expect(doc.servers[0]!.url).toBe(`${settings.body.realm_url}/api/v1`);
    expect(doc.servers[0]!.url.startsWith("https://")).toBe(true);
  });

  it("answer other methods with a JSON 405 that names GET", async () => {
    const s = await createTestServer({ config: { docs: true } });
    const r = await s.request("/openapi.json", { method: "POST" });
    expect(r.status).toBe(405);
    expect(r.headers.get("allow")).toBe("GET");
    expect(await r.json()).toEqual({ result: "error", msg: "Method Not Allowed", allowed_methods: ["GET"] });
  });
});

describe("/docs", () => {
  it("is an HTML page whose every script, style and icon is served here from swagger-ui-dist, with its media type", async () => {
    const s = await createTestServer({ config: { docs: true } });
    const page = await s.request("/docs");
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toBe("text/html; charset=utf-8");
    const html = await page.text();
    expect(html).not.toMatch(/(?:src|href)="(?:https?:)?\/\//);

    const assets = referencedAssets(html);
    expect(assets).toEqual(expect.arrayContaining(["/docs/swagger-ui-bundle.js", "/docs/swagger-ui.css", "/docs/init.js"]));
    const mediaTypes: Record<string, string> = { js: "text/javascript; charset=utf-8", css: "text/css; charset=utf-8", png: "image/png" };
    for (const path of assets) {
      const r = await s.request(path);
      expect(r.status, path).toBe(200);
      expect(r.headers.get("content-type"), path).toBe(mediaTypes[path.split(".").pop()!]);
      const body = new Uint8Array(await r.arrayBuffer());
      expect(body.byteLength, path).toBeGreaterThan(0);
      if (path !== "/docs/init.js") {
        const installed = readFileSync(require.resolve(`swagger-ui-dist/${path.slice("/docs/".length)}`));
        expect(Buffer.from(body).equals(installed), `${path} is the installed package's file`).toBe(true);
      }
    }
  });

  it("starts Swagger UI on this server's contract, with the online validator off", async () => {
    const s = await createTestServer({ config: { docs: true } });
    const init = await (await s.request("/docs/init.js")).text();
    expect(init).toContain('url: "/openapi.json"');
    expect(init).toContain("validatorUrl: null");
  });

  it("forbids the page to load or send anything elsewhere (Content-Security-Policy)", async () => {
    const s = await createTestServer({ config: { docs: true } });
    const csp = (await s.request("/docs")).headers.get("content-security-policy") ?? "";
    const directives = new Map(
      csp
        .split(";")
        .map((d) => d.trim().split(/\s+/))
        .map(([name, ...values]) => [name!, values]),
    );
    expect(directives.get("default-src")).toEqual(["'none'"]);
    for (const name of ["script-src", "style-src", "connect-src"]) expect(directives.get(name), name).toEqual(["'self'"]);
    for (const values of directives.values()) expect(values.some((v) => /^(https?:|\*)/.test(v))).toBe(false);
  });

  it("revalidates with an ETag and compresses when the browser accepts it", async () => {
    const s = await createTestServer({ config: { docs: true } });
    const first = await s.request("/docs/swagger-ui-bundle.js", { headers: { "accept-encoding": "gzip" } });
    expect(first.headers.get("content-encoding")).toBe("gzip");
    expect(first.headers.get("cache-control")).toBe("no-cache");
    const tag = first.headers.get("etag");
    expect(tag).toBeTruthy();
    const again = await s.request("/docs/swagger-ui-bundle.js", { headers: { "if-none-match": tag! } });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe("");
  });

  it("redirects /docs/ to /docs", async () => {
    const s = await createTestServer({ config: { docs: true } });
    const r = await s.request("/docs/");
    expect(r.status).toBe(301);
    expect(r.headers.get("location")).toBe("/docs");
  });

  it.each(["/docs/swagger-initializer.js", "/docs/package.json", "/docs/..%2Fpackage.json", "/docs/%2E%2E%2Findex.js", "/docs/a/b", "/openapi.yml"])(
    "serves nothing else of the package: %s is the JSON 404",
    async (path) => {
      await expectNotFound(await createTestServer({ config: { docs: true } }), path);
    },
  );

  it("leaves the API as it is, and other paths the JSON 404", async () => {
    const s = await createTestServer({ config: { docs: true } });
    const settings = await s.request("/api/v1/server_settings", { headers: { "accept-encoding": "gzip" } });
    expect(settings.headers.get("content-encoding")).toBeNull();
    expect(settings.headers.get("content-security-policy")).toBeNull();
    await conformant("get-server-settings", settings);
    await expectNotFound(s, "/api/v1/docs");
    await expectNotFound(s, "/nope");
  });
});

describe("--docs and ZULIP_AUTH_DOCS", () => {
  let server: ServerProcess | undefined;
  afterEach(async () => {
    await server?.stop();
    server = undefined;
  });

  const dbPath = () => join(mkdtempSync(join(tmpdir(), "zulip-auth-docs-")), "docs.sqlite");
  const docsStatus = async (args: string[], env: Record<string, string> = {}) => {
    server = await startServerProcess(["serve", "--port", "0", "--db", dbPath(), ...args], env);
    const status = (await fetch(`${server.url}/docs`)).status;
    await server.stop();
    server = undefined;
    return status;
  };

  it("serve has no /docs unless asked; --docs, --docs on and ZULIP_AUTH_DOCS=1 turn it on, ZULIP_AUTH_DOCS=0 leaves it off", async () => {
    expect(await docsStatus([], { ZULIP_AUTH_DOCS: "" })).toBe(404);
    expect(await docsStatus(["--docs"])).toBe(200);
    expect(await docsStatus(["--docs", "on"])).toBe(200);
    expect(await docsStatus([], { ZULIP_AUTH_DOCS: "1" })).toBe(200);
    expect(await docsStatus([], { ZULIP_AUTH_DOCS: "0" })).toBe(404);
    expect(await docsStatus(["--docs", "off"], { ZULIP_AUTH_DOCS: "1" })).toBe(404);
  });

  it("refuses a value it cannot read as on or off (exit 2)", async () => {
    const r = await runCli(["serve", "--port", "0", "--db", dbPath()], { env: { ZULIP_AUTH_DOCS: "maybe" } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("expected 1, true, yes, on, 0, false, no or off");
  });
});
