import type { ChangeWatch } from "./change-watch.ts";
import type { Organization } from "./schema.ts";

/** Subdomains remembered as naming no organization: any Host can name one, so they are bounded. */
const MAX_MISSING = 1024;

/**
 * Organizations by subdomain, kept in memory and dropped the moment the watch says the table may have changed
 * (Zulip does the same with realms in memcached, flushed when a realm is saved). Entries are frozen: every
 * request shares them.
 */
export class OrganizationCache {
  private readonly found = new Map<string, Organization>();
  private readonly missing = new Set<string>();
  /** The watch's version the entries were read at. */
  private seen: number | undefined;
  /** Bumped by this process's own writes, which SQLite's data_version does not count. */
  private local = 0;

  constructor(private readonly watch: ChangeWatch) {}

  /** The organization, from memory when nothing changed since it was read, else from `load` (and remembered). */
  async get(subdomain: string, load: () => Promise<Organization | undefined>): Promise<Organization | undefined> {
    const version = this.current();
    if (version !== undefined) {
      const org = this.found.get(subdomain);
      if (org !== undefined || this.missing.has(subdomain)) return org;
    }
    const local = this.local;
    const org = await load();
    // A change seen while the row was being read may or may not be in it: keep it only if there was none
    // (one committed in this same request turn is seen by the next turn's read, which drops the entry).
    if (version !== undefined && this.watch.version() === version && this.local === local) return this.remember(subdomain, org);
    return org;
  }

  /** Forgets everything (this process just wrote an organization). */
  invalidate(): void {
    this.local++;
    this.clear();
  }

  close(): Promise<void> {
    return this.watch.close();
  }

  /** The watch's version, having dropped the entries if it moved; undefined when nothing may be served. */
  private current(): number | undefined {
    const version = this.watch.version();
    if (version !== this.seen) {
      this.clear();
      this.seen = version;
    }
    return version;
  }

  private remember(subdomain: string, org: Organization | undefined): Organization | undefined {
    if (org) {
      const frozen = Object.freeze({ ...org });
      this.found.set(subdomain, frozen);
      return frozen;
    }
    if (this.missing.size >= MAX_MISSING) this.missing.delete(this.missing.values().next().value!);
    this.missing.add(subdomain);
    return undefined;
  }

  private clear(): void {
    this.found.clear();
    this.missing.clear();
  }
}
