import { describe, expect, it } from "vitest";
import { GuardRefusal, SafetyGuard } from "../src/checker/fuzz/guard.ts";
import { buildRequest, PLAIN } from "../src/checker/fuzz/recipe.ts";
import { type RequestSpec, requestFor, secret } from "../src/checker/request.ts";
import { OPERATIONS } from "../src/contract/operations.ts";

const USERNAME = "Iago@Zulip.com";
const PASSWORD = "abcd1234-Strong!";
const form = (fields: [string, string][], query: [string, string][] = []): RequestSpec =>
  requestFor(OPERATIONS.fetchApiKey, { body: { kind: "form", fields }, query });

describe("the fuzz transport's safety guard", () => {
  it("issues throwaways at the account's domain, each with its own marker from crypto", () => {
    const guard = new SafetyGuard(USERNAME, PASSWORD);
    const [a, b] = [guard.issue(), guard.issue()];
    expect(a.email).toMatch(new RegExp(`^zulip-auth-fuzz-${a.marker}@Zulip\\.com$`));
    expect(a.marker).toMatch(/^[0-9a-f]{16}$/);
    expect(a.marker).not.toBe(b.marker);
  });

  it("refuses the real username in any case, spacing or encoding, and the real password", () => {
    const guard = new SafetyGuard(USERNAME, PASSWORD);
    const t = guard.issue();
    const disguises = [
      "iago@zulip.com",
      "IAGO@ZULIP.COM",
      " i a g o @ zulip.com ",
      "iago%40zulip.com",
      "iago%2540zulip.com",
      "iago+%40zulip.com".replace("+", ""),
      "iago\\u0040zulip.com",
      "iago&#64;zulip.com",
      "ｉａｇｏ@zulip.com",
      "ia\u200bgo@zulip.com",
    ];
    for (const d of disguises) {
      expect(
        () =>
          guard.admit(
            form([
              ["username", t.email],
              ["zulip_auth_fuzz_1", d],
            ]),
          ),
        d,
      ).toThrow(GuardRefusal);
      expect(() => guard.admit(form([["username", t.email]], [["x", d]])), d).toThrow(GuardRefusal);
    }
    expect(() =>
      guard.admit(
        form([
          ["username", t.email],
          ["password", PASSWORD],
        ]),
      ),
    ).toThrow(GuardRefusal);
    expect(() =>
      guard.admit(
        form([
          ["username", t.email],
          ["password", encodeURIComponent(PASSWORD)],
        ]),
      ),
    ).toThrow(GuardRefusal);
    expect(() =>
      guard.admit(
        form([
          ["username", t.email],
          ["password", secret("<password>", PASSWORD) as never],
        ]),
      ),
    ).toThrow(GuardRefusal);
    expect(() =>
      guard.admit({ ...requestFor(OPERATIONS.fetchApiKey), raw: { contentType: "text/plain", text: `username=${t.email}&password=${PASSWORD}` } }),
    ).toThrow(GuardRefusal);
  });

  it("refuses a username without a marker of this run, a fourth use of a throwaway, and any use of one that logged in", () => {
    const guard = new SafetyGuard(USERNAME, PASSWORD);
    const other = new SafetyGuard(USERNAME, PASSWORD).issue();
    expect(() => guard.admit(form([["username", "someone@zulip.com"]]))).toThrow(/no marker/);
    expect(() => guard.admit(form([["username", other.email]]))).toThrow(/no marker/);
    const t = guard.issue();
    const spec = buildRequest(PLAIN, t, "plain");
    for (let i = 0; i < 3; i++) guard.admit(spec);
    expect(() => guard.admit(spec)).toThrow(/more than 3 times/);
    const u = guard.issue();
    guard.admit(buildRequest(PLAIN, u, "plain"));
    guard.burn(u.marker);
    expect(() => guard.admit(buildRequest(PLAIN, u, "plain"))).toThrow(/logged in/);
  });

  it("admits every shape the fuzzer builds around a throwaway", () => {
    const guard = new SafetyGuard(USERNAME, PASSWORD);
    for (const username of ["throwaway", "empty-local", "no-at", "leading-space", "two-ats"] as const) {
      for (const transport of ["form", "multipart", "query", "mixed", "json"] as const) {
        guard.admit(buildRequest({ ...PLAIN, username, transport, repeated: true, queryShadow: true, extras: 2 }, guard.issue(), "x"));
      }
    }
    for (const raw of ["bad-percent", "bad-utf8", "no-boundary", "truncated-multipart", "oversize", "text-plain"] as const) {
      guard.admit(buildRequest({ ...PLAIN, raw }, guard.issue(), "x"));
    }
  });
});
