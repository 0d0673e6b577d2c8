import { EventEmitter, once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, afterEach, describe, expect, it, vi } from "vitest";
import type { ChangeWatch } from "../src/store/change-watch.ts";
import { openStore } from "../src/store/open.ts";
import { OrganizationCache } from "../src/store/organization-cache.ts";
import { postgresWatch } from "../src/store/postgres-watch.ts";
import type { Organization } from "../src/store/schema.ts";
import type { Store } from "../src/store/store.ts";
import { createDatabase, missingServices, need } from "./helpers/service-env.ts";

// Organizations are read on every request and written by operators: servers keep them in memory and drop
// them the moment any process changes them. Whether a lookup came from memory shows in the object: a read
// from the database makes a new one each time.

const ORG: Organization = {
  id: 1,
  subdomain: "",
  name: "Zulip Dev",
  deactivated: 0,
  email_auth_enabled: 1,
  ldap_auth_enabled: 0,
  icon_url: null,
  description: "",
  created_at: "2026-01-01T00:00:00Z",
};

describe("the organization cache", () => {
  const watch = (start: number | undefined) => {
    let version = start;
    const w: ChangeWatch & { set(v: number | undefined): void } = { version: () => version, close: async () => {}, set: (v) => (version = v) };
    return w;
  };

  it("reads once, then answers from memory with a frozen object until the version moves", async () => {
    const w = watch(1);
    const cache = new OrganizationCache(w);
    const load = vi.fn(async () => ({ ...ORG }));
    const first = await cache.get("", load);
    const second = await cache.get("", load);
    expect(load).toHaveBeenCalledTimes(1);
    expect(Object.isFrozen(second)).toBe(true);
    expect(second).toEqual(first);
    w.set(2);
    await cache.get("", load);
    expect(load).toHaveBeenCalledTimes(2);
  });

  it("remembers subdomains that name nothing, but only a bounded number of them", async () => {
    const cache = new OrganizationCache(watch(1));
    const load = vi.fn(async () => undefined);
    for (let i = 0; i < 2000; i++) await cache.get(`nope${i}`, load);
    await cache.get("nope1999", load);
    expect(load).toHaveBeenCalledTimes(2000);
    await cache.get("nope0", load);
    expect(load).toHaveBeenCalledTimes(2001);
  });

  it("does not keep a row read while a change happened, nor anything while changes cannot be seen", async () => {
    const w = watch(1);
    const cache = new OrganizationCache(w);
    const racing = vi.fn(async () => {
      w.set(2);
      return { ...ORG };
    });
    await cache.get("", racing);
    await cache.get("", racing);
    expect(racing).toHaveBeenCalledTimes(2);

    w.set(undefined);
    const load = vi.fn(async () => ({ ...ORG }));
    await cache.get("", load);
    await cache.get("", load);
    expect(load).toHaveBeenCalledTimes(2);
  });

  it("drops everything on invalidate(), also a read that was in flight", async () => {
    const cache = new OrganizationCache(watch(1));
    let release!: () => void;
    const slow = vi.fn(() => new Promise<Organization>((resolve) => (release = () => resolve({ ...ORG }))));
    const pending = cache.get("", slow);
    cache.invalidate();
    release();
    await pending;
    const again = cache.get("", slow);
    release();
    await again;
    expect(slow).toHaveBeenCalledTimes(2);
  });
});

describe("a caching store on SQLite", () => {
  const dir = mkdtempSync(join(tmpdir(), "zulip-auth-org-cache-"));
  const stores: Store[] = [];
  afterAll(async () => {
    for (const s of stores) await s.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const open = async (file: string, cache: boolean) => {
    const store = await openStore({ sqlitePath: join(dir, file), cache, create: true });
    stores.push(store);
    return store;
  };

  it("serves repeated lookups from memory and sees another connection's write on the next lookup", async () => {
    const server = await open("a.sqlite", true);
    const cli = await open("a.sqlite", false);
    await cli.createOrganization("", "Zulip Dev");
    const first = await server.findOrganization("");
    expect(await server.findOrganization("")).toBe(first);

    await cli.updateOrganization("", { deactivated: 1 });
    expect(await server.findOrganization("")).toMatchObject({ deactivated: 1 });
    expect(await server.findOrganization("lear")).toBeUndefined();
    await cli.createOrganization("lear", "Lear & Co.");
    expect(await server.findOrganization("lear")).toMatchObject({ name: "Lear & Co." });
    // A write to any table moves data_version: the cache is dropped, never served stale.
    const before = await server.findOrganization("lear");
    await cli.createUser({ organizationId: before!.id, email: "cordelia@zulip.com", fullName: "", passwordHash: null, apiKey: "k".repeat(32) });
    expect(await server.findOrganization("lear")).not.toBe(before);
  });

  it("sees its own writes at once", async () => {
    const server = await open("b.sqlite", true);
    await server.createOrganization("", "Zulip Dev");
    expect(await server.findOrganization("")).toMatchObject({ email_auth_enabled: 1 });
    await server.updateOrganization("", { email_auth_enabled: 0 });
    expect(await server.findOrganization("")).toMatchObject({ email_auth_enabled: 0 });
  });
});

const NO_POSTGRES = missingServices("postgres");

describe("caching stores on PostgreSQL, as two instances", () => {
  const cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });
  const setUp = async () => {
    const db = await createDatabase();
    cleanup.push(db.drop);
    const states: string[] = [];
    /** Each caching store's listener: its last state, and its state changes as events. */
    const watches = new Map<Store, { state?: string; events: EventEmitter }>();
    const open = async (cache: boolean) => {
      const watch: { state?: string; events: EventEmitter } = { events: new EventEmitter() };
      const store = await openStore({
        databaseUrl: db.url,
        sqlitePath: "unused",
        timeoutMs: 5000,
        cache,
        onWatchStateChange: (s) => {
          states.push(s);
          watch.state = s;
          watch.events.emit(s);
        },
        onWatchChange: () => watch.events.emit("changed"),
      });
      watches.set(store, watch);
      cleanup.push(() => store.close());
      return store;
    };
    /** Resolves once the store's listener is in this state (now, or at its next change). */
    const inState = async (store: Store, state: "listening" | "lost") => {
      const watch = watches.get(store)!;
      if (watch.state !== state) await once(watch.events, state);
    };
    const cli = await open(false);
    await cli.createOrganization("", "Zulip Dev");
    const [a, b] = [await open(true), await open(true)];
    /** Once a store's listener is up, it answers from memory: two lookups give one object. */
    const cached = async (store: Store) => {
      await inState(store, "listening");
      expect(await store.findOrganization("")).toBe(await store.findOrganization(""));
    };
    await Promise.all([cached(a), cached(b)]);
    /**
     * Resolves at the first change the store's listener hears after which the store answers as expected: called
     * before the write, so that no notification passes unheard.
     */
    const hears = (store: Store, expected: Partial<Organization>) =>
      new Promise<void>((resolve, reject) => {
        const { events } = watches.get(store)!;
        const onChange = () =>
          void store.findOrganization("").then((org) => {
            if (!org || !Object.entries(expected).every(([key, value]) => org[key as keyof Organization] === value)) return;
            events.off("changed", onChange);
            resolve();
          }, reject);
        events.on("changed", onChange);
      });
    return { db, cli, a, b, states, cached, inState, hears };
  };

  it("both drop their entry when another process changes the organization (NOTIFY from the table's trigger)", async (ctx) => {
    need(ctx, NO_POSTGRES);
    const { cli, a, b, cached, hears } = await setUp();
    const started = performance.now();
    const heard = Promise.all([a, b].map((s) => hears(s, { email_auth_enabled: 0 })));
    await cli.updateOrganization("", { email_auth_enabled: 0 });
    await heard;
    // Reported, not asserted: the bound is 100 ms, and a loaded CI machine is no benchmark.
    console.info(`both instances saw the change ${(performance.now() - started).toFixed(1)} ms after the write began`);
    await Promise.all([cached(a), cached(b)]);
    // Any writer counts, not only this project's code: psql's UPDATE notifies too.
    const renamed = Promise.all([a, b].map((s) => hears(s, { name: "Renamed" })));
    await cli.db.updateTable("organizations").set({ name: "Renamed" }).execute();
    await renamed;
  });

  it("reads the database while the listening connection is lost, and caches again once it is back", async (ctx) => {
    need(ctx, NO_POSTGRES);
    const { db, cli, a, b, states, inState, hears } = await setUp();
    const admin = new pg.Client({ connectionString: db.url });
    await admin.connect();
    cleanup.push(() => admin.end());
    const terminated = await admin.query(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'zulip-auth listener' AND datname = current_database()",
    );
    expect(terminated.rowCount).toBe(2);
    await Promise.all([inState(a, "lost"), inState(b, "lost")]);
    // A change made around the reconnection (its NOTIFY may reach nobody) is seen on the next lookup.
    await cli.updateOrganization("", { name: "While away" });
    expect(await a.findOrganization("")).toMatchObject({ name: "While away" });
    // Both instances reconnect, each in its own time: wait for both before counting.
    await Promise.all([inState(a, "listening"), inState(b, "listening")]);
    expect(states.filter((s) => s === "listening").length).toBeGreaterThanOrEqual(4);
    const after = hears(a, { name: "After" });
    await cli.updateOrganization("", { name: "After" });
    await after;
  });

  it("a change callback that throws is reported once and the listener keeps listening (never an uncaught exception)", async (ctx) => {
    need(ctx, NO_POSTGRES);
    const db = await createDatabase();
    cleanup.push(db.drop);
    const cli = await openStore({ databaseUrl: db.url, sqlitePath: "unused", timeoutMs: 5000, cache: false });
    cleanup.push(() => cli.close());
    await cli.createOrganization("", "Zulip Dev");
    const events = new EventEmitter();
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.message);
    process.on("warning", onWarning);
    cleanup.push(async () => void process.off("warning", onWarning));
    let calls = 0;
    const watch = postgresWatch(db.url, {
      timeoutMs: 5000,
      onStateChange: (state) => events.emit(state),
      onChange: () => {
        calls++;
        events.emit("changed");
        throw new Error("the callback's own bug");
      },
    });
    cleanup.push(() => watch.close());
    await once(events, "listening");
    for (const name of ["One", "Two"]) {
      const heard = once(events, "changed");
      await cli.updateOrganization("", { name });
      await heard;
    }
    expect(calls).toBe(2);
    expect(watch.version()).toBeDefined();
    expect(warnings.filter((w) => w.includes("the callback's own bug"))).toHaveLength(1);
  });
});
