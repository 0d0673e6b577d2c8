import { describe, expect, it } from "vitest";
import { isValidEmail } from "../src/auth/email.ts";

// Cases from Django's EmailValidator tests, which Zulip's validate_login_email applies.
describe("isValidEmail (Django's validate_email)", () => {
  it.each([
    "email@here.com",
    "weirder-email@here.and.there.com",
    "email@[127.0.0.1]",
    "email@[2001:dB8::1]",
    "email@[::fffF:127.0.0.1]",
    "example@valid-----hyphens.com",
    "example@valid-with-hyphens.com",
    "test@domain.with.idn.tld.उदाहरण.परीक्षा",
    "email@localhost",
    '"test@test"@example.com',
    "example@atm.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    "iago@zulip.com",
    "IAGO@ZULIP.COM",
    '"\\\t"@here.com',
  ])("accepts %s", (email) => expect(isValidEmail(email)).toBe(true));

  it.each([
    "",
    "abc",
    "abc@",
    "abc@bar",
    "a @x.cz",
    "abc@.com",
    "something@@somewhere.com",
    "email@127.0.0.1",
    "email@[127.0.0.256]",
    "email@[2001:db8::12345]",
    "example@invalid-.com",
    "example@-invalid.com",
    "example@invalid.com-",
    "example@inv-.alid-.com",
    'test@example.com\n\n<script src="x.js">',
    "trailingdot@shouldfail.com.",
    "a@b.com\n",
    " iago@zulip.com",
    "iago@zulip.com ",
    `${"a".repeat(311)}@zulip.com`,
  ])("rejects %j", (email) => expect(isValidEmail(email)).toBe(false));
});
