import { randomBytes } from "node:crypto";

/** An email address no account has: a fresh random local part at the domain of the given username. */
export function throwawayEmail(username: string): string {
  const at = username.lastIndexOf("@");
  const domain = at > 0 && /^[A-Za-z0-9.-]+\.[A-Za-z]{2,}$/.test(username.slice(at + 1)) ? username.slice(at + 1) : "example.com";
  return `zulip-auth-check-${randomBytes(6).toString("hex")}@${domain}`;
}

/** A password no account has. */
export const throwawayPassword = () => `zulip-auth-check-not-the-password-${randomBytes(4).toString("hex")}`;
