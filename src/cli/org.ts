import { Command, InvalidArgumentError } from "commander";
import { dbOption, onOff, printRows, withAdmin } from "./context.ts";

const onOffArg = (value: string) => {
  try {
    return onOff(value);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
};

/** `zulip-auth org …`: organisations; the root organisation's subdomain is "". */
export function orgCommand(): Command {
  const org = new Command("org").description('manage organizations (the root organization\'s subdomain is "")');
  org
    .command("add <subdomain>")
    .description("create an organization")
    .option("--name <name>", "display name")
    .addOption(dbOption())
    .action(async (subdomain: string, o: { name?: string; db: string }) => {
      const created = await withAdmin(o.db, (a) => a.addOrganization(subdomain, o.name));
      console.log(`created organization "${created.subdomain}" (${created.name})`);
    });
  org
    .command("list")
    .description("list organizations")
    .option("--json", "print JSON")
    .addOption(dbOption())
    .action(async (o: { json?: boolean; db: string }) => {
      const orgs = await withAdmin(o.db, (a) => a.store.listOrganizations());
      printRows(
        orgs.map((x) => ({
          subdomain: x.subdomain,
          name: x.name,
          active: x.deactivated === 0,
          password_auth: x.email_auth_enabled === 1,
          ldap_auth: x.ldap_auth_enabled === 1,
        })),
        o.json === true,
      );
    });
  for (const [name, deactivated] of [["deactivate", 1], ["reactivate", 0]] as const) {
    org
      .command(`${name} <subdomain>`)
      .description(`${name} an organization`)
      .addOption(dbOption())
      .action(async (subdomain: string, o: { db: string }) => {
        await withAdmin(o.db, (a) => a.setOrganization(subdomain, { deactivated }));
        console.log(`${name}d organization "${subdomain}"`);
      });
  }
  org
    .command("set <subdomain>")
    .description("change an organization's login settings")
    .requiredOption("--password-auth <on|off>", "email and password login", onOffArg)
    .addOption(dbOption())
    .action(async (subdomain: string, o: { passwordAuth: boolean; db: string }) => {
      await withAdmin(o.db, (a) => a.setOrganization(subdomain, { email_auth_enabled: o.passwordAuth ? 1 : 0 }));
      console.log(`organization "${subdomain}": password login ${o.passwordAuth ? "on" : "off"}`);
    });
  return org;
}
