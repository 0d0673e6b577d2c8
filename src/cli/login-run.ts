import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { createZulipAuthClient } from "../client/client.ts";
import { PASSWORD_PLACEHOLDER, redact } from "../shared/redact.ts";
import { loginErrorMessage, siteErrorMessage } from "./login-messages.ts";
import { checkSite } from "./login-site.ts";
import { readPassword } from "./password-input.ts";
import { UserError } from "./user-error.ts";
import { writeZuliprc } from "./zuliprc.ts";

/** What commander parsed for `login`. */
export interface LoginOptions {
  username: string;
  passwordStdin?: boolean;
  zuliprc: string;
  force?: boolean;
  timeout: number;
}

// What `login` runs: loaded by its action only.

const USER_AGENT = "ZulipAuth/0.1.0";

/** Logs in and writes the zuliprc. */
export async function login(siteUrl: string, o: LoginOptions): Promise<void> {
  const path = resolve(o.zuliprc);
  // Checked before the password is asked for; the write checks again, atomically.
  if (!o.force && existsSync(path)) throw new Error(`${path} exists already: pass --force to replace it`);
  const client = createZulipAuthClient({ baseUrl: siteUrl, timeoutMs: o.timeout * 1000, userAgent: USER_AGENT });

  const org = await checkSite(client);
  if ("error" in org) throw new Error(siteErrorMessage(org.error, { site: siteUrl }));
  const ctx = { site: siteUrl, username: o.username, organization: org.data.name };
  process.stderr.write(`Logging in to ${org.data.name} (${siteUrl}, Zulip ${org.data.zulipVersion}) as ${o.username}\n`);

  const password = await readPassword(o.passwordStdin === true, `Password for ${o.username}: `);
  if (password === "") throw new UserError("no password given", 2);
  const { data, error } = await client.fetchApiKey({ username: o.username, password });
  // A server's own words are quoted in the message: a broken or hostile one may echo the password back.
  if (error) throw new Error(redact(loginErrorMessage(error, ctx), [{ value: password, placeholder: PASSWORD_PLACEHOLDER }]));

  const written = await writeZuliprc(path, { email: data.email, key: data.api_key, site: siteUrl }, { force: o.force === true });
  if ("error" in written) {
    throw new Error(written.error.code === "ZULIPRC_EXISTS" ? `${written.error.message}: pass --force to replace it` : written.error.message);
  }
  process.stdout.write(`Logged in to ${org.data.name} as ${data.email}; wrote ${path} (readable by you only)\n`);
}
