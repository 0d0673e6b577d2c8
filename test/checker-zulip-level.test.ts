// The published Zulip level (openapi/zulip-level.yaml): generated from the contract, valid OpenAPI, met by
// every answer of faithful Zulip test servers, and served by the docs beside the contract.
import { readFileSync } from "node:fs";
import SwaggerParser from "@apidevtools/swagger-parser";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";
import type { OpenAPIV3_1 } from "openapi-types";
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { ZULIP_LEVEL_FILE, zulipLevelYaml } from "../scripts/zulip-level.ts";
import { checkServer, type FetchLike } from "../src/checker/index.ts";
import { CONTRACT_FILE } from "../src/contract/spec.ts";
import { IN_PROCESS_URL, wrap } from "./helpers/checker.ts";
import { FAKE_ACCOUNT, type FakeZulipOptions, fakeZulip } from "./helpers/fake-zulip.ts";
import { createTestServer } from "./helpers/harness.ts";

type Answer = { method: string; path: string; status: number; headers: Headers; body: string };

/** Runs the checker against a fake Zulip and keeps every answer it got, as sent. */
async function answersOf(options: Partial<FakeZulipOptions>): Promise<Answer[]> {
  const answers: Answer[] = [];
  const fetch: FetchLike = wrap(fakeZulip({ version: "10.0", accounts: [FAKE_ACCOUNT], ...options }), async (r, forward) => {
    const res = await forward();
    const url = new URL(r.url);
    answers.push({ method: r.method, path: url.pathname, status: res.status, headers: res.headers, body: await res.clone().text() });
    return res;
  });
  await checkServer({ baseUrl: IN_PROCESS_URL, username: FAKE_ACCOUNT.email, password: FAKE_ACCOUNT.password, fetch });
  return answers;
}

/**
 * Every way an answer breaks the Zulip-level file, judged as another OpenAPI tool would (not with this
 * project's validator): a declared status, a declared media type, the body's schema, the required headers.
 */
function judge(doc: OpenAPIV3_1.Document, answer: Answer): string[] {
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  addFormatsModule.default(ajv);
  const where = `${answer.method} ${answer.path} → ${answer.status}`;
  const item = doc.paths?.[answer.path.replace(/^\/api\/v1/, "")] as Record<string, OpenAPIV3_1.OperationObject> | undefined;
  // A method the path does not declare is judged by the path's declared operation (its 405).
  const op = item?.[answer.method.toLowerCase()] ?? Object.values(item ?? {}).find((o) => typeof o === "object" && "responses" in o);
  const response = op?.responses?.[String(answer.status)] as OpenAPIV3_1.ResponseObject | undefined;
  if (!response) return [`${where}: status not declared`];
  const problems: string[] = [];
  for (const [name, header] of Object.entries(response.headers ?? {}) as [string, OpenAPIV3_1.HeaderObject][]) {
    if (header.required && !answer.headers.has(name)) problems.push(`${where}: required header ${name} missing`);
  }
  if (answer.method === "HEAD" || answer.body === "") return problems;
  const type = (answer.headers.get("content-type") ?? "").split(";")[0]!.trim();
  const media = response.content?.[type];
  if (!media) return [...problems, `${where}: content type ${type} not declared`];
  if (type === "application/json" && media.schema && !ajv.validate(media.schema, JSON.parse(answer.body))) {
    problems.push(`${where}: ${ajv.errorsText()}`);
  }
  return problems;
}

describe(`${ZULIP_LEVEL_FILE}, the contract's Zulip level for other tools`, () => {
  it(`is generated from ${CONTRACT_FILE}: a change to the contract without npm run generate fails here`, () => {
    expect(readFileSync(ZULIP_LEVEL_FILE, "utf8")).toBe(zulipLevelYaml(readFileSync(CONTRACT_FILE, "utf8")));
  });

  it("is valid OpenAPI, without zulip-auth's own promises or marks", async () => {
    await expect(SwaggerParser.validate(ZULIP_LEVEL_FILE)).resolves.toBeTruthy();
    const doc = parseYaml(readFileSync(ZULIP_LEVEL_FILE, "utf8")) as OpenAPIV3_1.Document;
    // Its description names what it leaves out; the rest of it holds none of it.
    const { info: _info, ...rest } = doc;
    const text = JSON.stringify(rest);
    for (const gone of ["x-zulip-auth-strict", "x-zulip-only", "x-advisory", "/healthz", "Cache-Control", "X-Request-Id", "no-store"])
      expect(text).not.toContain(gone);
    const success = doc.components!.schemas!.ApiKeySuccess as OpenAPIV3_1.SchemaObject;
    // Version-dependent fields are not required; success answers stay open to the fields a newer Zulip adds.
    expect(success.required).toEqual(["result", "msg", "api_key", "email"]);
    expect(success.additionalProperties).toBeUndefined();
    expect((doc.components!.schemas!.ServerSettings as OpenAPIV3_1.SchemaObject).required).not.toContain("realm_url");
  });

  it.each<[string, Partial<FakeZulipOptions>]>([
    ["a production Zulip 10", {}],
    ["a production Zulip 8.4 (no realm_url, no user_id check)", { version: "8.4" }],
    ["a Zulip that adds fields this file does not list", { extraField: true }],
    ["a Zulip that limits this client's address", { addressLimit: 6 }],
    ["the root of a Zulip with several organizations", { root: "several-organizations" }],
    ["a root with a landing page", { root: "landing-page" }],
  ])("%s: every answer the checker got meets it", async (_name, options) => {
    const doc = (await SwaggerParser.dereference(ZULIP_LEVEL_FILE)) as OpenAPIV3_1.Document;
    const answers = await answersOf(options);
    expect(answers.length).toBeGreaterThan(0);
    expect(answers.flatMap((a) => judge(doc, a))).toEqual([]);
  });

  it("a broken answer does not meet it (the judge above can fail)", async () => {
    const doc = (await SwaggerParser.dereference(ZULIP_LEVEL_FILE)) as OpenAPIV3_1.Document;
    const body = JSON.stringify({ result: "success", msg: "", api_key: 5, email: "iago@zulip.com" });
    const answer = { method: "POST", path: "/api/v1/fetch_api_key", status: 200, headers: new Headers({ "content-type": "application/json" }), body };
    expect(judge(doc, answer).join()).toMatch(/api_key must be string/);
  });

  it("is served beside the contract by the docs, with this host's server URL", async () => {
    const s = await createTestServer({ config: { docs: true } });
    const yaml = await s.request("/openapi.zulip-level.yaml");
    expect(yaml.status).toBe(200);
    expect(yaml.headers.get("content-type")).toBe("application/yaml; charset=utf-8");
    const served = parseYaml(await yaml.text()) as OpenAPIV3_1.Document;
    const json = (await (await s.request("/openapi.zulip-level.json")).json()) as OpenAPIV3_1.Document;
    expect(json).toEqual(served);
    const file = parseYaml(readFileSync(ZULIP_LEVEL_FILE, "utf8")) as OpenAPIV3_1.Document;
    expect({ ...served, servers: undefined }).toEqual({ ...file, servers: undefined });
    expect(served.servers).toEqual([{ url: "http://zulip.test/api/v1", description: "This server." }]);
  });
});
