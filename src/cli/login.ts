import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { Command, InvalidArgumentError, Option } from "commander";
import { createZulipAuthClient } from "../client/client.ts";
import { checkSite } from "../client/login.ts";
import { loginErrorMessage, siteErrorMessage } from "../client/messages.ts";
import { normalizeSite } from "../client/site.ts";
import { defaultZuliprcPath, writeZuliprc } from "../client/zuliprc.ts";
import { PASSWORD_PLACEHOLDER, redact } from "../redact.ts";
import { argument } from "./arguments.ts";
import { PasswordInputError, readPassword } from "./password-input.ts";

const USER_AGENT = "ZulipAuth/0.1.0";

// People type "chat.example.com"; Zulip sites are https unless a scheme says otherwise.
const site = argument((value: string) => normalizeSite(/^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `https://${value}`));

const seconds = (value: string) => {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError("expected a positive number of seconds");
  return n;
};

/** `zulip-auth login <site>`: logs in with a password and writes a zuliprc for Zulip's clients. */
export function loginCommand(): Command {
  return new Command("login")
    .description("log in to a Zulip organization with a password and write a zuliprc ([api] email, key, site)")
    .argument("<site>", "the organization's URL, e.g. https://chat.example.com", site)
    .requiredOption("--username <email>", "your email address (or LDAP username)")
    .option("--password-stdin", "read the password from standard input instead of prompting")
    .addOption(new Option("--zuliprc <path>", "where to write the zuliprc").default(defaultZuliprcPath(), "~/.zuliprc"))
    .option("--force", "replace an existing zuliprc")
    .addOption(new Option("--timeout <seconds>", "how long to wait for each answer").default(30).argParser(seconds))
    .action(async (siteUrl: string, o: { username: string; passwordStdin?: boolean; zuliprc: string; force?: boolean; timeout: number }) => {
      const path = resolve(o.zuliprc);
      // Checked before the password is asked for; the write checks again, atomically.
      if (!o.force && existsSync(path)) throw new Error(`${path} exists already: pass --force to replace it`);
      const client = createZulipAuthClient({ baseUrl: siteUrl, timeoutMs: o.timeout * 1000, userAgent: USER_AGENT });

      const org = await checkSite(client);
      if ("error" in org) throw new Error(siteErrorMessage(org.error, { site: siteUrl }));
      const ctx = { site: siteUrl, username: o.username, organization: org.data.name };
      process.stderr.write(`Logging in to ${org.data.name} (${siteUrl}, Zulip ${org.data.zulipVersion}) as ${o.username}\n`);

      const password = await readPassword(o.passwordStdin === true, `Password for ${o.username}: `);
      if (password === "") throw new PasswordInputError("no password given");
      const { data, error } = await client.fetchApiKey({ username: o.username, password });
      // A server's own words are quoted in the message: a broken or hostile one may echo the password back.
      if (error) throw new Error(redact(loginErrorMessage(error, ctx), [{ value: password, placeholder: PASSWORD_PLACEHOLDER }]));

      const written = await writeZuliprc(path, { email: data.email, key: data.api_key, site: siteUrl }, { force: o.force === true });
      if ("error" in written) {
        throw new Error(written.error.code === "ZULIPRC_EXISTS" ? `${written.error.message}: pass --force to replace it` : written.error.message);
      }
      process.stdout.write(`Logged in to ${org.data.name} as ${data.email}; wrote ${path} (readable by you only)\n`);
    });
}
