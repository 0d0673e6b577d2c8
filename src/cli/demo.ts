import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Admin } from "../admin/admin.ts";
import { PasswordHasher } from "../auth/password-hasher.ts";
import { DEFAULT_PASSWORD_POLICY } from "../auth/password-policy.ts";
import { openSqliteStore } from "../store/sqlite.ts";

/** The documentation's example organisation and users; their passwords are public, so never use them for real. */
export const DEMO_USERS = [
  { email: "iago@zulip.com", password: "abcd1234", fullName: "Iago" },
  { email: "hamlet@zulip.com", password: "hamlet1234", fullName: "King Hamlet" },
] as const;

/** Creates a throwaway database in a new temporary folder, seeded with the demo data; returns its path and a cleanup. */
export async function createDemoDatabase(): Promise<{ db: string; cleanup: () => void }> {
  const dir = mkdtempSync(join(tmpdir(), "zulip-auth-demo-"));
  const db = join(dir, "demo.sqlite");
  const store = await openSqliteStore(db);
  const admin = new Admin(store, new PasswordHasher(), DEFAULT_PASSWORD_POLICY);
  await admin.addOrganization("", "Zulip Dev");
  // The documented demo passwords are weaker than the policy allows for real users: seed them directly.
  for (const user of DEMO_USERS) await admin.createUser("", user.email, user.password, user.fullName);
  await store.close();
  return { db, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The curl of Zulip's documentation, pointed at `url`. */
export function demoCurl(url: string): string {
  return `curl -sSX POST ${url}/api/v1/fetch_api_key --data-urlencode username=iago@zulip.com --data-urlencode password=abcd1234`;
}
