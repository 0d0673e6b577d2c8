import { beforeAll, describe, expect, it } from "vitest";
import { conformant, createTestServer, form, multipart, type TestServer, USERS } from "./helpers/harness.ts";

const PATH = "/api/v1/fetch_api_key";
type Body = Record<string, unknown>;

describe("where fetch_api_key reads its parameters", () => {
  let s: TestServer;
  let key: string;
  const call = async (path: string, init: RequestInit) => conformant<Body>("fetch-api-key", await s.request(path, init));

  beforeAll(async () => {
    s = await createTestServer();
    key = (await s.admin.user("", USERS.iago.email)).api_key;
  });

  it("reads urlencoded bodies, with or without a charset", async () => {
    const body = new URLSearchParams({ username: USERS.iago.email, password: USERS.iago.password }).toString();
    for (const type of ["application/x-www-form-urlencoded", "application/x-www-form-urlencoded; charset=utf-8"]) {
      const r = await call(PATH, { method: "POST", headers: { "content-type": type }, body });
      expect(r.status, type).toBe(200);
      expect(r.body.api_key).toBe(key);
    }
  });

  it("decodes + and %20 as spaces", async () => {
    const t = await createTestServer();
    await t.admin.addUser("", "spaced@zulip.com", "two words here");
    for (const body of ["username=spaced%40zulip.com&password=two+words+here", "username=spaced@zulip.com&password=two%20words%20here"]) {
      const r = await conformant<Body>(
        "fetch-api-key",
        await t.request(PATH, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body }),
      );
      expect(r.status, body).toBe(200);
    }
  });

  it("reads multipart bodies (what zulip-js sends)", async () => {
    const r = await call(PATH, multipart({ username: USERS.iago.email, password: USERS.iago.password }));
    expect(r.status).toBe(200);
    expect(r.body.api_key).toBe(key);
  });

  it("reads the query string when the body lacks a parameter", async () => {
    const q = new URLSearchParams({ username: USERS.iago.email, password: USERS.iago.password });
    const r = await call(`${PATH}?${q}`, { method: "POST" });
    expect(r.status).toBe(200);
    const mixed = await call(`${PATH}?password=${encodeURIComponent(USERS.iago.password)}`, form({ username: USERS.iago.email }));
    expect(mixed.status).toBe(200);
  });

  it("prefers the body to the query string", async () => {
    const r = await call(`${PATH}?password=wrong-password`, form({ username: USERS.iago.email, password: USERS.iago.password }));
    expect(r.status).toBe(200);
  });

  it("does not read a JSON body at all → Missing 'username' argument", async () => {
    const r = await call(PATH, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: USERS.iago.email, password: USERS.iago.password }),
    });
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ code: "REQUEST_VARIABLE_MISSING", var_name: "username" });
  });

  it("lets the last of repeated keys win", async () => {
    const r = await call(
      PATH,
      form([
        ["username", USERS.iago.email],
        ["password", "wrong-password"],
        ["password", USERS.iago.password],
      ]),
    );
    expect(r.status).toBe(200);
    const q = await call(`${PATH}?password=wrong-password&password=${encodeURIComponent(USERS.iago.password)}`, form({ username: USERS.iago.email }));
    expect(q.status).toBe(200);
  });

  it("does not trim values: a password with a trailing space is another password", async () => {
    const r = await call(PATH, form({ username: USERS.iago.email, password: `${USERS.iago.password} ` }));
    expect(r.body).toMatchObject({ code: "AUTHENTICATION_FAILED" });
  });

  it("lists unused parameters from body and query, sorted, never `client`, on success only", async () => {
    const r = await call(
      `${PATH}?zeta=1&alpha=2&client=ZulipMobile`,
      form({ username: USERS.iago.email, password: USERS.iago.password, mid: "3", client: "x" }),
    );
    expect(r.body.ignored_parameters_unsupported).toEqual(["alpha", "mid", "zeta"]);
    expect(Object.keys(r.body).at(-1)).toBe("ignored_parameters_unsupported");
    const failed = await call(`${PATH}?zeta=1`, form({ username: USERS.iago.email, password: "wrong-password" }));
    expect(failed.body).not.toHaveProperty("ignored_parameters_unsupported");
    const onlyClient = await call(`${PATH}?client=x`, form({ username: USERS.iago.email, password: USERS.iago.password }));
    expect(onlyClient.body).not.toHaveProperty("ignored_parameters_unsupported");
  });

  it("answers a broken multipart body with a contract-valid 400", async () => {
    const r = await call(PATH, { method: "POST", headers: { "content-type": "multipart/form-data; boundary=xyz" }, body: "--xyz\r\nnot a part" });
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ result: "error", code: "BAD_REQUEST" });
  });
});

describe("organizations chosen by the Host header", () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await createTestServer();
  });
  const login = async (host: string, user: { email: string; password: string }) =>
    conformant<Body>("fetch-api-key", await s.request(PATH, { ...form({ username: user.email, password: user.password }), host }));

  it("<sub>.<root domain> names the organization, with or without a port, in any case", async () => {
    for (const host of ["lear.zulip.test", "lear.zulip.test:9991", "LEAR.Zulip.Test"]) {
      expect((await login(host, USERS.cordelia)).status, host).toBe(200);
    }
  });

  it("the root domain, www, and any host not under it (IP address, localhost) name the root organization", async () => {
    for (const host of ["zulip.test", "www.zulip.test", "127.0.0.1:9991", "localhost", "[::1]:9991", "other.example"]) {
      expect((await login(host, USERS.iago)).status, host).toBe(200);
    }
  });

  it("a user is found only in their own organization", async () => {
    expect((await login("lear.zulip.test", USERS.iago)).status).toBe(404);
    expect((await login("zulip.test", USERS.cordelia)).status).toBe(404);
  });

  it("a deeper subdomain names no organization", async () => {
    const r = await login("a.lear.zulip.test", USERS.cordelia);
    expect(r.status).toBe(404);
  });
});

describe("answers outside the three operations", () => {
  it("an unknown path gets a JSON 404 in Zulip's error shape", async () => {
    const s = await createTestServer();
    const r = await s.request("/api/v1/nope");
    expect(r.status).toBe(404);
    expect(r.headers.get("content-type")).toBe("application/json");
    expect(await r.text()).toBe(`{"result":"error","msg":"Not Found","code":"BAD_REQUEST"}\n`);
  });

  it("an unexpected exception gets a JSON 500 with no internals, and is logged with its stack", async () => {
    const s = await createTestServer();
    s.store.findOrganization = () => Promise.reject(new Error("disk on fire at /var/secret/path"));
    const r = await conformant<Body>("fetch-api-key", await s.request(PATH, form({ username: USERS.iago.email, password: "x" })));
    expect(r.status).toBe(500);
    expect(r.body).toEqual({ result: "error", msg: "Internal server error", code: "INTERNAL_SERVER_ERROR" });
    expect(r.text).not.toContain("disk on fire");
    const logged = s.logLines.join("");
    expect(logged).toContain("disk on fire");
    expect(logged).toContain("at ");
  });
});
