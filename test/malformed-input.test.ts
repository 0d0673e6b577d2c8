import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { answerProblems, describeRequest, fuzzRequest, toRequest } from "./helpers/fuzz.ts";
import { conformant, createTestServer, form, type TestServer, USERS } from "./helpers/harness.ts";

describe("malformed input never hurts (fast-check)", () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await createTestServer({ limits: {} });
  });

  it("answers 400 generated requests of every malformed kind with contract-valid 4xx or success, never 5xx", async () => {
    await fc.assert(
      fc.asyncProperty(fuzzRequest, async (r) => {
        const problems = await answerProblems(r, await s.app.fetch(toRequest(r)));
        expect(problems, describeRequest(r)).toEqual([]);
      }),
      // No shrinking: the inputs are large (thousands of fields) and the first counterexample is clear enough.
      { numRuns: 400, endOnFailure: true },
    );
  });

  it("still serves the real user afterwards (nothing was corrupted)", async () => {
    const r = await conformant(
      "fetch-api-key",
      await s.request("/api/v1/fetch_api_key", form({ username: USERS.hamlet.email, password: USERS.hamlet.password })),
    );
    expect(r.status).toBe(200);
    expect(r.body.api_key).toBe((await s.admin.user("", USERS.hamlet.email)).api_key);
  });
});

describe("specific nasty inputs", () => {
  let s: TestServer;
  const PATH = "/api/v1/fetch_api_key";
  beforeAll(async () => {
    s = await createTestServer({ config: { bodyLimit: 1024 } });
  });

  it("a body over the limit → JSON 413 REQUEST_TOO_LARGE, whether announced by Content-Length or streamed", async () => {
    const big = `username=iago%40zulip.com&password=${"x".repeat(5000)}`;
    const announced = await conformant(
      "fetch-api-key",
      await s.request(PATH, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: big }),
    );
    expect(announced.status).toBe(413);
    expect(announced.body).toEqual({ result: "error", msg: "Request body too large", code: "REQUEST_TOO_LARGE" });
    const stream = new ReadableStream({
      start(controller) {
        for (let i = 0; i < 10; i++) controller.enqueue(new TextEncoder().encode("x".repeat(1000)));
        controller.close();
      },
    });
    const streamed = await conformant(
      "fetch-api-key",
      await s.request(PATH, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: stream, duplex: "half" } as RequestInit),
    );
    expect(streamed.status).toBe(413);
  });

  it("__proto__ and constructor keys are plain parameters", async () => {
    const r = await conformant(
      "fetch-api-key",
      await s.request(
        PATH,
        form([
          ["__proto__", "x"],
          ["constructor", "y"],
          ["username", USERS.iago.email],
          ["password", USERS.iago.password],
        ]),
      ),
    );
    expect(r.status).toBe(200);
    expect(r.body.ignored_parameters_unsupported).toEqual(["__proto__", "constructor"]);
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });

  it("a username with a NUL byte is not an email; a password with one is just wrong", async () => {
    const a = await conformant("fetch-api-key", await s.request(PATH, form({ username: "iago@zulip.com\u0000", password: USERS.iago.password })));
    expect(a.body).toMatchObject({ code: "BAD_REQUEST" });
    const b = await conformant("fetch-api-key", await s.request(PATH, form({ username: USERS.iago.email, password: `${USERS.iago.password}\u0000` })));
    expect(b.body).toMatchObject({ code: "AUTHENTICATION_FAILED" });
  });
});
