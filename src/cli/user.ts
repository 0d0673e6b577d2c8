import { Command } from "commander";
import type { HashParams } from "../auth/hash-params.ts";
import { argon2Option, type DatabaseOptions, databaseUrlOption, dbOption } from "./options.ts";

// The actions import what they run when they run (a dynamic import), so --help loads only commander.
const admin = () => import("./context.ts");
const readPassword = async (fromStdin: boolean, prompt?: string) => (await import("./password-input.ts")).readPassword(fromStdin, prompt);

interface UserOptions extends DatabaseOptions {
  org: string;
  argon2: HashParams;
}

/** `zulip-auth user …`: users; passwords come from a prompt or standard input, never from arguments. */
export function userCommand(): Command {
  const user = new Command("user").description("manage users");
  const withOrg = (c: Command) =>
    c.option("--org <subdomain>", "organization subdomain", "").addOption(dbOption()).addOption(databaseUrlOption()).addOption(argon2Option());

  withOrg(user.command("add <email>").description("create a user (prompts for the password)"))
    .option("--name <name>", "full name", "")
    .option("--password-stdin", "read the password from standard input")
    .action(async (email: string, o: UserOptions & { name: string; passwordStdin?: boolean }) => {
      const password = await readPassword(o.passwordStdin === true);
      const created = await (await admin()).withAdmin(o, (a) => a.addUser(o.org, email, password, o.name), { hashParams: o.argon2 });
      console.log(`created user ${created.email} (id ${created.id}) in organization "${o.org}"`);
    });
  withOrg(user.command("set-password <email>").description("set a user's password (prompts for it)"))
    .option("--password-stdin", "read the password from standard input")
    .action(async (email: string, o: UserOptions & { passwordStdin?: boolean }) => {
      const password = await readPassword(o.passwordStdin === true, "New password: ");
      await (await admin()).withAdmin(o, (a) => a.setPassword(o.org, email, password), { hashParams: o.argon2 });
      console.log(`password changed for ${email}`);
    });
  for (const [name, active] of [
    ["deactivate", false],
    ["reactivate", true],
  ] as const) {
    withOrg(user.command(`${name} <email>`).description(`${name} a user`)).action(async (email: string, o: UserOptions) => {
      await (await admin()).withAdmin(o, (a) => a.setUserActive(o.org, email, active));
      console.log(`${name}d user ${email}`);
    });
  }
  withOrg(user.command("regenerate-key <email>").description("give a user a new API key (the old one stops working)")).action(
    async (email: string, o: UserOptions) => {
      await (await admin()).withAdmin(o, (a) => a.regenerateKey(o.org, email));
      console.log(`new API key made for ${email}; the user fetches it by logging in`);
    },
  );
  user
    .command("list")
    .description("list users")
    .option("--org <subdomain>", "only this organization")
    .option("--json", "print JSON")
    .addOption(dbOption())
    .addOption(databaseUrlOption())
    .action(async (o: DatabaseOptions & { org?: string; json?: boolean }) => {
      const { databaseName, printRows, withAdmin } = await admin();
      const users = await withAdmin(o, (a) => a.listUsers(o.org));
      printRows(
        users.map((u) => ({ id: u.id, organization: u.subdomain, email: u.email, name: u.full_name, active: u.is_active === 1 })),
        o.json === true,
        `no users${o.org === undefined ? "" : ` in organization "${o.org}"`} in ${databaseName(o)}`,
      );
    });
  return user;
}
