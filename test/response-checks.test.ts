import { describe, expect, it } from "vitest";
import {
  bodyIsJson,
  bodyMatchesSchema,
  contentTypeDeclared,
  headersMatchSchemas,
  noHeadersOfOtherStatuses,
  RESPONSE_CHECKS,
  type ResponseCheck,
  requiredHeadersPresent,
  statusDocumented,
} from "../src/contract/response-checks.ts";
import { type Answer, getContractValidator, isUnlistedField } from "../src/contract/validator.ts";

const answer = (status: number, body: unknown, headers: Record<string, string> = {}): Answer => ({
  status,
  headers: new Headers(headers),
  bodyText: typeof body === "string" ? body : JSON.stringify(body),
});
const JSON_TYPE = { "content-type": "application/json" };
const KEY = { result: "success", msg: "", api_key: "a".repeat(32), email: "iago@zulip.com", user_id: 5 };
const KEY_HEADERS = { ...JSON_TYPE, "cache-control": "no-store" };
const LIMITED = { result: "error", msg: "API usage exceeded rate limit", code: "RATE_LIMIT_HIT", "retry-after": 1799.25 };
const LIMIT_HEADERS = { ...JSON_TYPE, "x-ratelimit-limit": "5", "x-ratelimit-remaining": "0", "x-ratelimit-reset": "1800000000" };
const BAD_EMAIL = { result: "error", msg: "Enter a valid email address.", code: "BAD_REQUEST" };
const REFUSED = { result: "error", msg: "Your username or password is incorrect", code: "AUTHENTICATION_FAILED" };

/** Each named check with a fetch_api_key answer it passes and one crafted to break it (and it alone). */
const CASES: { name: string; check: ResponseCheck; good: Answer; bad: Answer; ids: string[]; pointers: string[] }[] = [
  {
    name: "statusDocumented",
    check: statusDocumented,
    good: answer(200, KEY, KEY_HEADERS),
    bad: answer(418, KEY, KEY_HEADERS),
    ids: ["status-undeclared"],
    pointers: [""],
  },
  {
    name: "requiredHeadersPresent",
    check: requiredHeadersPresent,
    good: answer(200, KEY, KEY_HEADERS),
    bad: answer(200, KEY, JSON_TYPE),
    ids: ["header-missing"],
    pointers: ["header:Cache-Control"],
  },
  {
    name: "headersMatchSchemas",
    check: headersMatchSchemas,
    good: answer(429, LIMITED, { ...LIMIT_HEADERS, "retry-after": "1800" }),
    bad: answer(429, LIMITED, { ...LIMIT_HEADERS, "retry-after": "soon" }),
    ids: ["header-invalid"],
    pointers: ["header:Retry-After"],
  },
  {
    name: "noHeadersOfOtherStatuses",
    check: noHeadersOfOtherStatuses,
    good: answer(400, BAD_EMAIL, JSON_TYPE),
    bad: answer(400, BAD_EMAIL, { ...JSON_TYPE, "x-ratelimit-remaining": "4" }),
    ids: ["header-undeclared"],
    pointers: ["header:x-ratelimit-remaining"],
  },
  {
    name: "contentTypeDeclared",
    check: contentTypeDeclared,
    good: answer(401, REFUSED, { "content-type": "application/json; charset=utf-8" }),
    bad: answer(401, "<h1>Unauthorized</h1>", { "content-type": "text/html; charset=utf-8" }),
    ids: ["content-type-undeclared"],
    pointers: ["header:Content-Type"],
  },
  {
    name: "bodyIsJson",
    check: bodyIsJson,
    good: answer(401, REFUSED, JSON_TYPE),
    bad: answer(401, '{"result": "error",', JSON_TYPE),
    ids: ["body-not-json"],
    pointers: [""],
  },
  {
    name: "bodyMatchesSchema",
    check: bodyMatchesSchema,
    good: answer(200, KEY, KEY_HEADERS),
    bad: answer(200, { ...KEY, user_id: "5", extra: 1 }, KEY_HEADERS),
    ids: ["body-schema", "body-unexpected-property"],
    pointers: ["/user_id", "/extra"],
  },
];

describe("each named response check", () => {
  it.each(CASES)("$name passes a conformant answer and fails the crafted one with its own violations", async ({ check, good, bad, ids, pointers }) => {
    const v = await getContractValidator();
    expect(check(v.matchAnswer("fetch-api-key", good))).toEqual([]);
    const found = check(v.matchAnswer("fetch-api-key", bad));
    expect(found.map((x) => x.id).sort()).toEqual([...ids].sort());
    expect(found.map((x) => x.responsePointer).sort()).toEqual([...pointers].sort());
    for (const violation of found) {
      expect(violation).toMatchObject({
        operationId: "fetch-api-key",
        method: "POST",
        path: "/fetch_api_key",
        status: bad.status,
        specFile: "openapi/zulip-auth.yaml",
      });
      expect(violation.specLine).toBeGreaterThan(0);
    }
  });

  it.each(CASES)("the answer crafted against $name breaks that check alone, and the validator reports exactly its violations", async ({ check, bad }) => {
    const v = await getContractValidator();
    const matched = v.matchAnswer("fetch-api-key", bad);
    expect(RESPONSE_CHECKS.filter((c) => c(matched).length > 0)).toEqual([check]);
    expect(v.validateResponse("fetch-api-key", bad)).toEqual(check(matched));
  });

  it("every check runs once, and each conformant answer passes them all", async () => {
    const v = await getContractValidator();
    expect(new Set(RESPONSE_CHECKS).size).toBe(RESPONSE_CHECKS.length);
    expect(new Set(CASES.map((c) => c.check))).toEqual(new Set(RESPONSE_CHECKS));
    for (const { good } of CASES) expect(v.validateResponse("fetch-api-key", good)).toEqual([]);
  });
});

describe("what a check does not judge", () => {
  it("an absent optional header is no header-invalid, an absent required one no header-invalid either (it is header-missing's)", async () => {
    const v = await getContractValidator();
    expect(headersMatchSchemas(v.matchAnswer("fetch-api-key", answer(200, KEY, JSON_TYPE)))).toEqual([]);
  });

  it("an undeclared status stops the others: there is no declared response to hold the answer to", async () => {
    const v = await getContractValidator();
    const matched = v.matchAnswer("fetch-api-key", answer(418, "<p>teapot</p>", { "content-type": "text/html", "x-ratelimit-remaining": "1" }));
    expect(RESPONSE_CHECKS.flatMap((c) => c(matched)).map((x) => x.id)).toEqual(["status-undeclared"]);
  });

  it("a missing Content-Type is undeclared as (none); the body of a non-JSON media type is not parsed", async () => {
    const v = await getContractValidator();
    const [missing] = contentTypeDeclared(v.matchAnswer("fetch-api-key", answer(401, REFUSED)));
    expect(missing).toMatchObject({ id: "content-type-undeclared", actual: "(none)" });
    expect(bodyIsJson(v.matchAnswer("fetch-api-key", answer(401, "not json", { "content-type": "text/html" })))).toEqual([]);
  });

  it("the level is the view's: the Zulip level requires no Cache-Control, the strict level does", async () => {
    const v = await getContractValidator();
    const noCache = answer(200, KEY, JSON_TYPE);
    expect(requiredHeadersPresent(v.matchAnswer("fetch-api-key", noCache, { level: "zulip" }))).toEqual([]);
    expect(requiredHeadersPresent(v.matchAnswer("fetch-api-key", noCache, { level: "strict" })).map((x) => x.id)).toEqual(["header-missing"]);
  });

  it("an unlisted field is an advisory at the Zulip level in a success answer only; a violation with --strict or in an error", async () => {
    const v = await getContractValidator();
    const [extraInSuccess] = v.validateResponse("fetch-api-key", answer(200, { ...KEY, extra: 1 }, KEY_HEADERS), { level: "zulip" });
    expect(extraInSuccess?.id).toBe("body-unexpected-property");
    expect(isUnlistedField(extraInSuccess!, "zulip")).toBe(true);
    expect(isUnlistedField(extraInSuccess!, "strict")).toBe(false);
    const [extraInError] = v.validateResponse("fetch-api-key", answer(401, { ...REFUSED, extra: 1 }, JSON_TYPE), { level: "zulip" });
    expect(extraInError?.id).toBe("body-unexpected-property");
    expect(isUnlistedField(extraInError!, "zulip")).toBe(false);
  });
});
