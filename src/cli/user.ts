import { Command } from "commander";
import { ARGON2, DATABASE } from "./options.ts";
import { addSettings, valuesOf } from "./setting.ts";

// The actions import what they run when they run (a dynamic import), so --help loads only commander.
const admin = () => import("./context.ts");
const readPassword = async (fromStdin: boolean, prompt?: string) => (await import("./password-input.ts")).readPassword(fromStdin, prompt);

/** The settings of every command on one user: the database, and the hashes' parameters. */
const USER_SETTINGS = { ...DATABASE, hashParams: ARGON2 };

interface UserOptions {
  org: string;
}

/** `zulip-auth user …`: users; passwords come from a prompt or standard input, never from arguments. */
export function userCommand(): Command {
  const user = new Command("user").description("manage users");
  const withOrg = (c: Command) => addSettings(c.option("--org <subdomain>", "organization subdomain", ""), USER_SETTINGS);

  withOrg(user.command("add <email>").description("create a user (prompts for the password)"))
    .option("--name <name>", "full name", "")
    .option("--password-stdin", "read the password from standard input")
    .action(async (email: string, o: UserOptions & { name: string; passwordStdin?: boolean }, command: Command) => {
      const password = await readPassword(o.passwordStdin === true);
      const where = valuesOf(USER_SETTINGS, command);
      const created = await (await admin()).withAdmin(where, (a) => a.addUser(o.org, email, password, o.name), { hashParams: where.hashParams });
      console.log(`created user ${created.email} (id ${created.id}) in organization "${o.org}"`);
    });
  withOrg(user.command("set-password <email>").description("set a user's password (prompts for it)"))
    .option("--password-stdin", "read the password from standard input")
    .action(async (email: string, o: UserOptions & { passwordStdin?: boolean }, command: Command) => {
      const password = await readPassword(o.passwordStdin === true, "New password: ");
      const where = valuesOf(USER_SETTINGS, command);
      await (await admin()).withAdmin(where, (a) => a.setPassword(o.org, email, password), { hashParams: where.hashParams });
      console.log(`password changed for ${email}`);
    });
  for (const [name, active] of [
    ["deactivate", false],
    ["reactivate", true],
  ] as const) {
    withOrg(user.command(`${name} <email>`).description(`${name} a user`)).action(async (email: string, o: UserOptions, command: Command) => {
      await (await admin()).withAdmin(valuesOf(USER_SETTINGS, command), (a) => a.setUserActive(o.org, email, active));
      console.log(`${name}d user ${email}`);
    });
  }
  withOrg(user.command("regenerate-key <email>").description("give a user a new API key (the old one stops working)")).action(
    async (email: string, o: UserOptions, command: Command) => {
      await (await admin()).withAdmin(valuesOf(USER_SETTINGS, command), (a) => a.regenerateKey(o.org, email));
      console.log(`new API key made for ${email}; the user fetches it by logging in`);
    },
  );
  const list = user.command("list").description("list users").option("--org <subdomain>", "only this organization").option("--json", "print JSON");
  addSettings(list, DATABASE).action(async (o: { org?: string; json?: boolean }, command: Command) => {
    const where = valuesOf(DATABASE, command);
    const { databaseName, printRows, withAdmin } = await admin();
    const users = await withAdmin(where, (a) => a.listUsers(o.org));
    printRows(
      users.map((u) => ({ id: u.id, organization: u.subdomain, email: u.email, name: u.full_name, active: u.is_active === 1 })),
      o.json === true,
      `no users${o.org === undefined ? "" : ` in organization "${o.org}"`} in ${databaseName(where)}`,
    );
  });
  return user;
}
