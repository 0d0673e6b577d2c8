import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { toPointer } from "../src/contract/json-pointer.ts";
import { ALL_OPERATIONS, OPERATIONS } from "../src/contract/operations.ts";
import { loadContract } from "../src/contract/spec.ts";
import { type Answer, getContractValidator } from "../src/contract/validator.ts";

const json = (status: number, body: unknown, headers: Record<string, string> = {}): Answer => ({
  status,
  headers: new Headers({ "content-type": "application/json", ...headers }),
  bodyText: typeof body === "string" ? body : JSON.stringify(body),
});
const SUCCESS = { result: "success", msg: "", api_key: "a".repeat(32), email: "iago@zulip.com", user_id: 5 };

describe("the contract document", () => {
  it("is valid OpenAPI 3.1 (swagger-parser) with three operations under /api/v1 and the health check at the root", async () => {
    const { raw } = await loadContract();
    expect(raw.openapi).toBe("3.1.0");
    expect(raw.servers?.[0]?.url).toBe("{scheme}://{host}/api/v1");
    const validator = await getContractValidator();
    expect(validator.operations.map((o) => `${o.method} ${o.path}`).sort()).toEqual([
      "GET /healthz",
      "GET /server_settings",
      "POST /dev_fetch_api_key",
      "POST /fetch_api_key",
    ]);
    // /healthz overrides the servers: it lives at the root, outside /api/v1, under a tag of its own.
    expect(raw.paths?.["/healthz"]?.servers?.map((s) => s.url)).toEqual(["{scheme}://{host}"]);
    expect(raw.paths?.["/healthz"]?.get?.tags).toEqual(["health"]);
  });

  it("is what the operations table says: each operation's id, method, path, statuses and codes", async () => {
    const validator = await getContractValidator();
    const table = ALL_OPERATIONS.map(({ operationId, method, path, statuses, codes }) => ({
      operationId,
      method,
      path,
      statuses: [...statuses],
      codes: { ...codes },
    }));
    expect(table).toEqual(expect.arrayContaining(validator.operations.map((o) => expect.objectContaining(o))));
    expect(table).toHaveLength(validator.operations.length);
    // The codes come from the schemas' `code` const or enum, whichever a response uses.
    expect(validator.operation(OPERATIONS.fetchApiKey.operationId).codes).toMatchObject({ PASSWORD_RESET_REQUIRED: 401, RATE_LIMIT_HIT: 429 });
    expect(validator.operation(OPERATIONS.getHealth.operationId).codes).toEqual({ BAD_REQUEST: 400, INTERNAL_SERVER_ERROR: 500, SERVICE_UNAVAILABLE: 503 });
  });

  it("validates every example it holds against its own schema", async () => {
    const { dereferenced } = await loadContract();
    const validator = await getContractValidator();
    const checked: string[] = [];
    // Walk the dereferenced document: media types with example(s), and schemas with `examples`.
    const walk = (node: unknown, path: (string | number)[]) => {
      if (node === null || typeof node !== "object") return;
      const obj = node as Record<string, unknown>;
      if (obj.schema && typeof obj.schema === "object") {
        const schemaPtr = toPointer([...path, "schema"]);
        if ("example" in obj) {
          expect(validator.validateValue(schemaPtr, obj.example), toPointer(path)).toEqual([]);
          checked.push(toPointer([...path, "example"]));
        }
        for (const [name, ex] of Object.entries((obj.examples ?? {}) as Record<string, { value: unknown }>)) {
          expect(validator.validateValue(schemaPtr, ex.value), `${toPointer(path)} ${name}`).toEqual([]);
          checked.push(toPointer([...path, "examples", name]));
        }
      }
      if (Array.isArray(obj.examples) && typeof obj.type === "string") {
        for (const value of obj.examples) {
          expect(validator.validateValue(toPointer(path), value), toPointer(path)).toEqual([]);
          checked.push(toPointer([...path, "examples"]));
        }
      }
      for (const [key, child] of Object.entries(obj)) walk(child, [...path, key]);
    };
    walk(dereferenced, []);
    expect(checked.length).toBeGreaterThan(30);
  });

  it("has one named example per error code of every operation", async () => {
    const validator = await getContractValidator();
    const { dereferenced } = await loadContract();
    for (const op of validator.operations) {
      const item = (dereferenced.paths as Record<string, Record<string, { responses: unknown }>>)[op.path]!;
      const responses = item[op.method.toLowerCase()]!.responses as Record<
        string,
        { content?: Record<string, { schema: unknown; examples?: Record<string, { value: { code?: string } }> }> }
      >;
      for (const [status, response] of Object.entries(responses)) {
        const media = response.content?.["application/json"];
        if (!media) continue;
        const codes = new Set<string>();
        const collect = (s: unknown): void => {
          const schema = s as { oneOf?: unknown[]; properties?: { code?: { const?: string; enum?: string[] } } };
          schema.oneOf?.forEach(collect);
          const code = schema.properties?.code;
          if (code?.const) codes.add(code.const);
          for (const c of code?.enum ?? []) codes.add(c);
        };
        collect(media.schema);
        const exampled = new Set(Object.values(media.examples ?? {}).map((e) => e.value.code));
        for (const code of codes) expect(exampled.has(code), `${op.operationId} ${status} has an example of ${code}`).toBe(true);
        expect(Object.keys(media.examples ?? {}).length, `${op.operationId} ${status} has examples`).toBeGreaterThan(0);
      }
    }
  });

  it("generated/ is what openapi-typescript makes of it now", () => {
    const out = join(mkdtempSync(join(tmpdir(), "zulip-auth-gen-")), "zulip-auth.ts");
    execFileSync(process.execPath, ["node_modules/openapi-typescript/bin/cli.js", "openapi/zulip-auth.yaml", "-o", out], { stdio: "pipe" });
    const fresh = readFileSync(out, "utf8");
    const committed = readFileSync("generated/zulip-auth.ts", "utf8");
    expect(committed === fresh, "generated/ is stale: run `npm run generate` and commit the result").toBe(true);
  });
});

describe("the contract's two levels, and its feature levels", () => {
  const html405 = (allow: string, body = ""): Answer => ({
    status: 405,
    headers: new Headers({ "content-type": "text/html; charset=utf-8", allow }),
    bodyText: body,
  });

  it("the Zulip level accepts what a production Zulip sends; the strict level refuses it, naming the advisory", async () => {
    const v = await getContractValidator();
    const noCache = json(200, SUCCESS);
    expect(v.validateResponse("fetch-api-key", noCache, { level: "zulip" })).toEqual([]);
    expect(v.validateResponse("fetch-api-key", noCache).map((x) => `${x.id} ${x.responsePointer}`)).toEqual(["header-missing header:Cache-Control"]);
    expect(v.adviseResponse("fetch-api-key", noCache).map((a) => [a.id, a.severity])).toEqual([["key-cacheable", "medium"]]);

    const settings405 = html405("GET, HEAD");
    expect(v.validateResponse("get-server-settings", settings405, { level: "zulip" })).toEqual([]);
    expect(v.validateResponse("get-server-settings", settings405).map((x) => x.id)).toEqual(["content-type-undeclared"]);
    expect(v.adviseResponse("get-server-settings", settings405).map((a) => a.id)).toEqual(["html-405"]);
    // Django's Allow for require_safe is GET, HEAD at both levels.
    expect(v.validateResponse("get-server-settings", html405("GET"), { level: "zulip" }).map((x) => x.id)).toEqual(["header-invalid"]);

    const fetch405 = html405("POST", '{"result":"error","msg":"Method Not Allowed","allowed_methods":["POST"]}');
    expect(v.validateResponse("fetch-api-key", fetch405, { level: "zulip" })).toEqual([]);
    const devNotFound: Answer = { status: 404, headers: new Headers({ "content-type": "text/html; charset=utf-8" }), bodyText: "<h1>Not Found</h1>" };
    expect(v.validateResponse("dev-fetch-api-key", devNotFound, { level: "zulip" })).toEqual([]);
    expect(v.validateResponse("dev-fetch-api-key", devNotFound).map((x) => x.id)).toEqual(["content-type-undeclared"]);
    expect(v.adviseResponse("dev-fetch-api-key", devNotFound)).toEqual([]);
  });

  it("a stricter answer is a Zulip answer too: our JSON 405 passes both levels", async () => {
    const v = await getContractValidator();
    const ours = json(405, { result: "error", msg: "Method Not Allowed", allowed_methods: ["GET", "HEAD"] }, { allow: "GET, HEAD" });
    expect(v.validateResponse("get-server-settings", ours, { level: "zulip" })).toEqual([]);
    expect(v.validateResponse("get-server-settings", ours, { level: "strict" })).toEqual([]);
    expect(v.adviseResponse("get-server-settings", ours)).toEqual([]);
  });

  it("a float Retry-After is Zulip's (an advisory), an integer one is our promise", async () => {
    const v = await getContractValidator();
    const limited = (retryAfter: string) =>
      json(
        429,
        { result: "error", msg: "API usage exceeded rate limit", code: "RATE_LIMIT_HIT", "retry-after": 1799.25 },
        { "retry-after": retryAfter, "x-ratelimit-limit": "5", "x-ratelimit-remaining": "0", "x-ratelimit-reset": "1800000000" },
      );
    expect(v.validateResponse("fetch-api-key", limited("1799.25"), { level: "zulip" })).toEqual([]);
    expect(v.validateResponse("fetch-api-key", limited("1799.25")).map((x) => x.id)).toEqual(["header-invalid"]);
    expect(v.adviseResponse("fetch-api-key", limited("1799.25")).map((a) => a.id)).toEqual(["retry-after-float"]);
    expect(v.validateResponse("fetch-api-key", limited("1800"))).toEqual([]);
  });

  it("requires a property only from the feature level that added it", async () => {
    const v = await getContractValidator();
    const { user_id: _, ...withoutUserId } = SUCCESS;
    const old = json(200, withoutUserId, { "cache-control": "no-store" });
    expect(v.validateResponse("fetch-api-key", old, { featureLevel: 170 })).toEqual([]);
    expect(v.validateResponse("fetch-api-key", old, { featureLevel: 171 }).map((x) => x.message)).toEqual(["body must have required property 'user_id'"]);
    const { dereferenced } = await loadContract();
    const example = (
      dereferenced.paths!["/server_settings"]!.get!.responses!["200"] as {
        content: Record<string, { examples: Record<string, { value: Record<string, unknown> }> }>;
      }
    ).content["application/json"]!.examples.organization!.value;
    const { realm_url: _url, ...zulip8 } = example;
    expect(v.validateResponse("get-server-settings", json(200, zulip8), { level: "zulip", featureLevel: 237 })).toEqual([]);
    expect(v.validateResponse("get-server-settings", json(200, zulip8), { level: "zulip", featureLevel: 257 }).map((x) => x.message)).toEqual([
      "body must have required property 'realm_url'",
    ]);
  });
});

describe("the validator module", () => {
  it("accepts a conformant answer", async () => {
    const v = await getContractValidator();
    expect(v.validateResponse("fetch-api-key", json(200, SUCCESS, { "cache-control": "no-store" }))).toEqual([]);
  });

  it("reports an undeclared status with what was declared", async () => {
    const v = await getContractValidator();
    const [violation, ...rest] = v.validateResponse("fetch-api-key", json(418, {}));
    expect(rest).toEqual([]);
    expect(violation).toMatchObject({ id: "status-undeclared", status: 418, actual: "418", expected: "200, 400, 401, 404, 405, 413, 429, 500, 503" });
    expect(violation!.specPointer).toBe("#/paths/~1fetch_api_key/post/responses");
  });

  it("reports a wrong Content-Type and a body that is not JSON", async () => {
    const v = await getContractValidator();
    const html: Answer = { status: 401, headers: new Headers({ "content-type": "text/html" }), bodyText: "<h1>no</h1>" };
    expect(v.validateResponse("fetch-api-key", html).map((x) => x.id)).toEqual(["content-type-undeclared"]);
    expect(v.validateResponse("fetch-api-key", json(401, "{oops")).map((x) => x.id)).toEqual(["body-not-json"]);
  });

  it("points into both the response and the contract (file and line) for schema errors", async () => {
    const v = await getContractValidator();
    const found = v.validateResponse("fetch-api-key", json(200, { ...SUCCESS, user_id: "5", extra: 1 }, { "cache-control": "no-store" }));
    const byId = Object.fromEntries(found.map((x) => [x.id, x]));
    expect(byId["body-schema"]).toMatchObject({
      responsePointer: "/user_id",
      specPointer: "#/components/schemas/ApiKeySuccess/properties/user_id/type",
      actual: '"5"',
    });
    expect(byId["body-unexpected-property"]).toMatchObject({
      responsePointer: "/extra",
      specPointer: "#/components/schemas/ApiKeySuccess/additionalProperties",
    });
    const lines = readFileSync("openapi/zulip-auth.yaml", "utf8").split("\n");
    const line = byId["body-schema"]!.specLine!;
    expect(lines[line - 1]).toMatch(/type: integer/);
    expect(byId["body-schema"]!.specFile).toBe("openapi/zulip-auth.yaml");
  });

  it("reports missing and invalid headers", async () => {
    const v = await getContractValidator();
    expect(v.validateResponse("fetch-api-key", json(200, SUCCESS)).map((x) => [x.id, x.responsePointer])).toEqual([["header-missing", "header:Cache-Control"]]);
    const rateLimited = json(
      429,
      { result: "error", msg: "API usage exceeded rate limit", code: "RATE_LIMIT_HIT", "retry-after": 1.5 },
      {
        "retry-after": "soon",
        "x-ratelimit-limit": "5",
        "x-ratelimit-remaining": "0",
        "x-ratelimit-reset": "1795845535",
      },
    );
    expect(v.validateResponse("fetch-api-key", rateLimited).map((x) => [x.id, x.responsePointer])).toEqual([["header-invalid", "header:Retry-After"]]);
  });

  it("reports a header the operation declares for other statuses but not for this one", async () => {
    const v = await getContractValidator();
    const found = v.validateResponse(
      "fetch-api-key",
      json(400, { result: "error", msg: "Enter a valid email address.", code: "BAD_REQUEST" }, { "x-ratelimit-remaining": "4" }),
    );
    expect(found.map((x) => [x.id, x.responsePointer])).toEqual([["header-undeclared", "header:x-ratelimit-remaining"]]);
  });

  it("narrows a oneOf of coded errors to the branch the code names", async () => {
    const v = await getContractValidator();
    const found = v.validateResponse("fetch-api-key", json(400, { result: "error", msg: "Missing 'username' argument", code: "REQUEST_VARIABLE_MISSING" }));
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ id: "body-schema", specPointer: "#/components/schemas/VariableMissingError/required" });
    expect(found[0]!.message).toContain("var_name");
  });
});
