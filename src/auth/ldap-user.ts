import type { Organization, User } from "../store/schema.ts";
import { type Store, StoreError } from "../store/store.ts";
import { withNewKey } from "./api-key.ts";

/**
 * The local user for a directory login: found by the directory's email, or created on the first login with
 * a new API key and no local password. Two instances creating the same user at once end with one user.
 */
export async function userForDirectoryLogin(store: Store, org: Organization, email: string, fullName: string): Promise<User> {
  for (let attempt = 0; ; attempt++) {
    const existing = await store.findUser(org.id, email);
    if (existing) {
      // The directory is the source of the name, as Zulip's LDAP sync makes it.
      if (fullName !== "" && existing.full_name !== fullName) {
        await store.updateUser(existing.id, { full_name: fullName });
        return { ...existing, full_name: fullName };
      }
      return existing;
    }
    try {
      return await withNewKey((apiKey) => store.createUser({ organizationId: org.id, email, fullName, passwordHash: null, apiKey }));
    } catch (error) {
      // Lost a race with another instance creating the same user: look again.
      if (!(error instanceof StoreError && error.kind === "duplicate") || attempt >= 3) throw error;
    }
  }
}
