import { Command, Option } from "commander";
import { normalizeSite } from "../client/site.ts";
import { argument } from "./arguments.ts";
import type { LoginOptions } from "./login-run.ts";
import { seconds } from "./values.ts";
import { defaultZuliprcPath } from "./zuliprc.ts";

// People type "chat.example.com"; Zulip sites are https unless a scheme says otherwise.
const site = argument((value: string) => normalizeSite(/^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `https://${value}`));

/** `zulip-auth login <site>`: logs in with a password and writes a zuliprc for Zulip's clients. */
export function loginCommand(): Command {
  return (
    new Command("login")
      .description("log in to a Zulip organization with a password and write a zuliprc ([api] email, key, site)")
      .argument("<site>", "the organization's URL, e.g. https://chat.example.com", site)
      .requiredOption("--username <email>", "your email address (or LDAP username)")
      .option("--password-stdin", "read the password from standard input instead of prompting")
      .addOption(new Option("--zuliprc <path>", "where to write the zuliprc").default(defaultZuliprcPath(), "~/.zuliprc"))
      .option("--force", "replace an existing zuliprc")
      .addOption(new Option("--timeout <seconds>", "how long to wait for each answer").default(30).argParser(seconds))
      // The client, the zuliprc writer and the prompt load only when it runs.
      .action(async (siteUrl: string, o: LoginOptions) => (await import("./login-run.ts")).login(siteUrl, o))
  );
}
