import { Command } from "commander";
import { isHttp, parseUrl } from "../shared/url.ts";
import { argument } from "./arguments.ts";
import { DATABASE } from "./options.ts";
import { addSettings, valuesOf } from "./setting.ts";
import { onOff } from "./values.ts";

// The actions import what they run when they run (a dynamic import), so --help loads only commander.
const admin = () => import("./context.ts");

/** An icon URL clients can load: absolute http(s), or a path under the server; "default" ("") for the server's own. */
const iconArg = argument((value: string): string => {
  if (value === "default") return "";
  if (/^\/(?!\/)\S*$/.test(value)) return value;
  const url = parseUrl(value);
  if (!url) throw new Error(`not a URL nor a path starting with /: ${value}`);
  if (!isHttp(url)) throw new Error(`the icon URL must be http or https, not ${url.protocol}`);
  return url.href;
});

/** `zulip-auth org …`: organizations; the root organization's subdomain is "". */
export function orgCommand(): Command {
  const org = new Command("org").description('manage organizations (the root organization\'s subdomain is "")');
  addSettings(org.command("add <subdomain>").description("create an organization").option("--name <name>", "display name"), DATABASE).action(
    async (subdomain: string, o: { name?: string }, command: Command) => {
      const where = valuesOf(DATABASE, command);
      const created = await (await admin()).withAdmin(where, (a) => a.addOrganization(subdomain, o.name), { create: true });
      console.log(`created organization "${created.subdomain}" (${created.name})`);
    },
  );
  addSettings(org.command("list").description("list organizations").option("--json", "print JSON"), DATABASE).action(
    async (o: { json?: boolean }, command: Command) => {
      const where = valuesOf(DATABASE, command);
      const { databaseName, printRows, withAdmin } = await admin();
      const orgs = await withAdmin(where, (a) => a.store.listOrganizations());
      printRows(
        orgs.map((x) => ({
          subdomain: x.subdomain,
          name: x.name,
          active: x.deactivated === 0,
          password_auth: x.email_auth_enabled === 1,
          ldap_auth: x.ldap_auth_enabled === 1,
          icon_url: x.icon_url ?? "default",
          description: x.description,
        })),
        o.json === true,
        `no organizations in ${databaseName(where)}: the database is empty (create one with zulip-auth org add <subdomain>)`,
      );
    },
  );
  for (const [name, deactivated] of [
    ["deactivate", 1],
    ["reactivate", 0],
  ] as const) {
    addSettings(org.command(`${name} <subdomain>`).description(`${name} an organization`), DATABASE).action(
      async (subdomain: string, _o: unknown, command: Command) => {
        await (await admin()).withAdmin(valuesOf(DATABASE, command), (a) => a.setOrganization(subdomain, { deactivated }));
        console.log(`${name}d organization "${subdomain}"`);
      },
    );
  }
  const set = org
    .command("set <subdomain>")
    .description("change an organization's settings (at least one of them)")
    .option("--password-auth <on|off>", "email and password login", onOff)
    .option("--ldap-auth <on|off>", "LDAP username and password login (needs the server's LDAP settings)", onOff)
    .option(
      "--icon-url <url>",
      "the icon clients show (server_settings' realm_icon): an http(s) URL, a path under the server such as /static/org.png, or \"default\" for the server's own",
      iconArg,
    )
    .option("--description <html>", "the description clients show (server_settings' realm_description), as HTML");
  addSettings(set, DATABASE).action(
    async (subdomain: string, o: { passwordAuth?: boolean; ldapAuth?: boolean; iconUrl?: string; description?: string }, command: Command) => {
      if (o.passwordAuth === undefined && o.ldapAuth === undefined && o.iconUrl === undefined && o.description === undefined) {
        command.error("error: give at least one of --password-auth, --ldap-auth, --icon-url, --description");
      }
      await (await admin()).withAdmin(valuesOf(DATABASE, command), (a) =>
        a.setOrganization(subdomain, {
          ...(o.passwordAuth === undefined ? {} : { email_auth_enabled: o.passwordAuth ? 1 : 0 }),
          ...(o.ldapAuth === undefined ? {} : { ldap_auth_enabled: o.ldapAuth ? 1 : 0 }),
          ...(o.iconUrl === undefined ? {} : { icon_url: o.iconUrl || null }),
          ...(o.description === undefined ? {} : { description: o.description }),
        }),
      );
      const changes = [
        ...(o.passwordAuth === undefined ? [] : [`password login ${o.passwordAuth ? "on" : "off"}`]),
        ...(o.ldapAuth === undefined ? [] : [`LDAP login ${o.ldapAuth ? "on" : "off"}`]),
        ...(o.iconUrl === undefined ? [] : [`icon ${o.iconUrl || "the server's default"}`]),
        ...(o.description === undefined ? [] : ["description set"]),
      ];
      console.log(`organization "${subdomain}": ${changes.join(", ")}`);
    },
  );
  return org;
}
