import type { FetchLike, FuzzCheckId } from "../../src/checker/index.ts";
import { apiPath, createCheckedServer, rewriteJson, wrap } from "./checker.ts";

/** A server broken in a way only generated requests reach: the fixed cases pass, one fuzz check must not. */
export interface FuzzBroken {
  check: FuzzCheckId;
  /** What this server gets wrong. */
  name: string;
  build: () => Promise<FetchLike>;
}

/** The parameters of a request as Zulip reads them: body (form or multipart) first, then the query string. */
export async function paramsOf(request: Request): Promise<{ body: [string, string][]; query: [string, string][]; get: (name: string) => string | undefined }> {
  const query = [...new URL(request.url).searchParams];
  const type = request.headers.get("content-type") ?? "";
  let body: [string, string][] = [];
  if (/^(application\/x-www-form-urlencoded|multipart\/form-data)/.test(type)) {
    try {
      body = [...(await request.clone().formData())].map(([k, v]) => [k, typeof v === "string" ? v : ""]);
    } catch {
      body = [];
    }
  }
  return { body, query, get: (name) => last(body, name) ?? last(query, name) };
}

const last = (pairs: [string, string][], name: string) => pairs.filter(([k]) => k === name).at(-1)?.[1];
const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body) + "\n", { status, headers: { "content-type": "application/json", "x-content-type-options": "nosniff", ...headers } });
const isLogin = (r: Request) => r.method === "POST" && apiPath(r) === "/fetch_api_key";
const fakeKey = "Zz0Zz0Zz0Zz0Zz0Zz0Zz0Zz0Zz0Zz0Zz";

/** Our server with its per-address limit off, so that a whole budget of throwaway refusals is judged. */
export const fuzzedServer = () => createCheckedServer({ limits: { address: null } });

/** Wraps our server's answers. */
const broken = (change: Parameters<typeof wrap>[1]) => async () => wrap((await fuzzedServer()).app.fetch, change);

/** Our server, whose login answers with `status` get another msg when a parameter's value passes `test`. */
const rewritesMsg = (name: string, test: (value: string) => boolean, status: number, msg: (value: string) => string) =>
  broken(async (r, forward) => {
    const value = (await paramsOf(r)).get(name) ?? "";
    const res = await forward();
    return isLogin(r) && test(value) && res.status === status ? rewriteJson(res, (b) => ({ ...b, msg: msg(value) })) : res;
  });

/** One broken server per fuzz check. */
export const FUZZ_BROKEN: FuzzBroken[] = [
  {
    check: "no-server-error",
    name: "a password over 500 characters crashes the handler (500)",
    build: broken(async (r, forward) => {
      const p = await paramsOf(r);
      const password = p.get("password") ?? "";
      return isLogin(r) && password.length > 500 ? json(500, { result: "error", msg: "Internal server error", code: "INTERNAL_SERVER_ERROR" }) : forward();
    }),
  },
  {
    check: "conforms",
    name: "a username with two @ gets a 400 without msg or code",
    build: broken(async (r, forward) => {
      const p = await paramsOf(r);
      return isLogin(r) && (p.get("username") ?? "").includes("@@") ? json(400, { result: "error" }) : forward();
    }),
  },
  {
    check: "validation-before-auth",
    name: "a username with an empty local part reaches authentication (401 instead of 400)",
    build: broken(async (r, forward) => {
      const p = await paramsOf(r);
      const username = p.get("username") ?? "";
      if (!isLogin(r) || !username.startsWith("@")) return forward();
      return forward(
        new Request(r.url, {
          method: "POST",
          headers: { "content-type": "application/x-www-form-urlencoded" },
          body: new URLSearchParams({ username: `x${username.replace(/#.*/, "")}`, password: "x" }).toString(),
        }),
      );
    }),
  },
  {
    check: "well-formed-reaches-auth",
    name: "an empty password is taken as a missing one (400 instead of 401)",
    build: broken(async (r, forward) => {
      const p = await paramsOf(r);
      const password = p.get("password");
      return isLogin(r) && password === ""
        ? json(400, { result: "error", msg: "Missing 'password' argument", var_name: "password", code: "REQUEST_VARIABLE_MISSING" })
        : forward();
    }),
  },
  {
    check: "no-bypass",
    name: "a password with a NUL character logs anyone in",
    build: broken(async (r, forward) => {
      const p = await paramsOf(r);
      const password = p.get("password") ?? "";
      const username = p.get("username") ?? "";
      return isLogin(r) && password.includes("\u0000") ? json(200, { result: "success", msg: "", api_key: fakeKey, email: username, user_id: 99 }) : forward();
    }),
  },
  {
    check: "uniform-refusal",
    name: "a refusal of a long password says something else",
    build: rewritesMsg(
      "password",
      (v) => v.length > 500,
      401,
      () => "Password too long, or wrong",
    ),
  },
  {
    check: "parameter-equivalence",
    name: "the query string's username beats the body's",
    build: broken(async (r, forward) => {
      const p = await paramsOf(r);
      const fromQuery = last(p.query, "username");
      if (!isLogin(r) || fromQuery === undefined || last(p.body, "username") === undefined) return forward();
      const fields = new URLSearchParams([...p.body.filter(([k]) => k !== "username"), ["username", fromQuery]]);
      return forward(
        new Request(new URL(r.url).origin + new URL(r.url).pathname, {
          method: "POST",
          headers: { "content-type": "application/x-www-form-urlencoded" },
          body: fields.toString(),
        }),
      );
    }),
  },
  {
    check: "method-and-route",
    name: "the login path with a trailing slash answers a success",
    build: broken(async (r, forward) =>
      r.method === "POST" && new URL(r.url).pathname === "/api/v1/fetch_api_key/"
        ? json(200, { result: "success", msg: "", api_key: fakeKey, email: "someone@zulip.com", user_id: 99 })
        : forward(),
    ),
  },
  {
    check: "rate-limit-accounting",
    name: "an unknown path counts as a login attempt (X-RateLimit-* on its 404)",
    build: broken(async (r, forward) => {
      const res = await forward();
      if (res.status !== 404 || !new URL(r.url).pathname.toLowerCase().includes("fetch")) return res;
      return rewriteJson(res, (b) => b, {
        headers: { "x-ratelimit-limit": "5", "x-ratelimit-remaining": "4", "x-ratelimit-reset": String(Math.floor(Date.now() / 1000) + 1800) },
      });
    }),
  },
  {
    check: "no-echo",
    name: "a username with a leading space is echoed in the 400",
    build: rewritesMsg(
      "username",
      (v) => v.startsWith(" "),
      400,
      (v) => `Enter a valid email address: ${v}`,
    ),
  },
];
