import type { LoginLimiter } from "../auth/login-limiter.ts";
import { type HashParams, PasswordHasher } from "../auth/password-hasher.ts";
import { DEFAULT_PASSWORD_POLICY } from "../auth/password-policy.ts";
import type { LimitRules } from "../auth/rate-limit.ts";
import { OPERATIONS } from "../contract/operations.ts";
import type { Store } from "../store/store.ts";
import { Admin } from "./admin.ts";

/** The demo's password for every account but hamlet's; it is public, so never use it for anything real. */
const DEMO_PASSWORD = "abcd1234";

/** The demo's root domain: curl (and browsers) resolve `*.localhost` to the loopback address. */
export const DEMO_ROOT_DOMAIN = "localhost";

/** The hash parameters prospero's password was stored with: older and weaker than the server's. */
const DEMO_OLD_HASH: HashParams = { memoryCost: 4096, timeCost: 1, parallelism: 1 };

/** One row of the scenario table: a login and the answer it gets. */
export interface DemoScenario {
  /** The organization's subdomain in the Host ("" for the root domain). */
  subdomain: string;
  username: string;
  password: string;
  status: 200 | 401 | 404 | 429;
  /** "success" or the error code. */
  outcome: string;
  /** Why, in a few words. */
  why: string;
}

/** One login per answer a client must handle (docs/demo.md shows the same table). */
export const DEMO_SCENARIOS: readonly DemoScenario[] = [
  { subdomain: "", username: "iago@zulip.com", password: DEMO_PASSWORD, status: 200, outcome: "success", why: "an active user" },
  { subdomain: "", username: "hamlet@zulip.com", password: "hamlet1234", status: 200, outcome: "success", why: "an active user" },
  { subdomain: "", username: "cordelia@zulip.com", password: DEMO_PASSWORD, status: 401, outcome: "USER_DEACTIVATED", why: "her account is deactivated" },
  {
    subdomain: "lear",
    username: "king@zulip.com",
    password: DEMO_PASSWORD,
    status: 401,
    outcome: "REALM_DEACTIVATED",
    why: "organization lear is deactivated",
  },
  {
    subdomain: "nopw",
    username: "polonius@zulip.com",
    password: DEMO_PASSWORD,
    status: 401,
    outcome: "PASSWORD_AUTH_DISABLED",
    why: "nopw has password login off",
  },
  {
    subdomain: "",
    username: "prospero@zulip.com",
    password: DEMO_PASSWORD,
    status: 401,
    outcome: "PASSWORD_RESET_REQUIRED",
    why: "hash with old parameters, weak password",
  },
  {
    subdomain: "",
    username: "othello@zulip.com",
    password: DEMO_PASSWORD,
    status: 429,
    outcome: "RATE_LIMIT_HIT",
    why: "kept rate-limited while the demo runs",
  },
  { subdomain: "", username: "desdemona@zulip.com", password: DEMO_PASSWORD, status: 404, outcome: "NONEXISTENT_SUBDOMAIN", why: "she exists only in zephyr" },
  { subdomain: "zephyr", username: "desdemona@zulip.com", password: DEMO_PASSWORD, status: 200, outcome: "success", why: "her organization" },
  { subdomain: "nosuch", username: "iago@zulip.com", password: DEMO_PASSWORD, status: 404, outcome: "NONEXISTENT_SUBDOMAIN", why: "no such organization" },
];

/**
 * The demo's login limits, generous for a client's test suite run again and again: rule (a) keeps Zulip's 5
 * attempts (the checker and clients test the 429 with a fresh username), over one minute instead of 30, so a
 * suite's wrong passwords for iago are forgotten by its next run; (b), per address, is far above what a suite
 * sends; (c) stays on, since it is what keeps othello refused; (d) and (e), successes per user and per address,
 * are as far above it as (b).
 */
export const DEMO_LIMITS: LimitRules = {
  userAddress: { attempts: 5, windowSeconds: 60 },
  address: { attempts: 1000, windowSeconds: 60 },
  user: { attempts: 100, windowSeconds: 60 },
  userSuccess: { attempts: 1000, windowSeconds: 60 },
  addressSuccess: { attempts: 1000, windowSeconds: 60 },
};

/** The user the demo keeps rate-limited. */
export const DEMO_RATE_LIMITED = "othello@zulip.com";

/** The demo's organizations and users, with their settings; every password is DEMO_PASSWORD but hamlet's. */
export async function seedDemo(store: Store, hashParams?: HashParams): Promise<void> {
  const admin = new Admin(store, new PasswordHasher(hashParams), DEFAULT_PASSWORD_POLICY);
  await admin.addOrganization("", "Zulip Dev");
  await admin.addOrganization("zephyr", "Zephyr");
  await admin.addOrganization("lear", "Lear & Co.");
  await admin.addOrganization("nopw", "No Passwords Inc.");
  // The documented demo passwords are weaker than the policy allows for real users: seed them directly.
  await admin.createUser("", "iago@zulip.com", DEMO_PASSWORD, "Iago");
  await admin.createUser("", "hamlet@zulip.com", "hamlet1234", "King Hamlet");
  await admin.createUser("", "cordelia@zulip.com", DEMO_PASSWORD, "Cordelia, Lear's daughter");
  await admin.setUserActive("", "cordelia@zulip.com", false);
  await admin.createUser("", "othello@zulip.com", DEMO_PASSWORD, "Othello, the Moor of Venice");
  await admin.createUser("zephyr", "desdemona@zulip.com", DEMO_PASSWORD, "Desdemona");
  await admin.createUser("lear", "king@zulip.com", DEMO_PASSWORD, "King Lear");
  await admin.setOrganization("lear", { deactivated: 1 });
  await admin.createUser("nopw", "polonius@zulip.com", DEMO_PASSWORD, "Polonius");
  await admin.setOrganization("nopw", { email_auth_enabled: 0 });
  // Stored by an older hasher: the server wants to rehash it at login, and refuses to carry a weak password over.
  const old = new Admin(store, new PasswordHasher(DEMO_OLD_HASH), DEFAULT_PASSWORD_POLICY);
  await old.createUser("", "prospero@zulip.com", DEMO_PASSWORD, "Prospero");
}

/**
 * Keeps a username of the root organization refused by the real rate limiter for as long as the process runs:
 * fills its log under rule (c) (failures from any address), then refills each slot the moment it frees.
 * Resolves, once the username is refused, to a function that stops it; throws when rule (c) is off.
 */
export async function keepRateLimited(limiter: LoginLimiter, username: string): Promise<() => void> {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const exhaust = async (): Promise<number> => {
    const freesInMs = await limiter.fillUserLog("", username);
    if (freesInMs === undefined) throw new Error("the demo keeps othello refused under rule (c): leave --user-rate-limit on");
    // Wake up as the next attempt frees (at least once a minute, in case another process cleared the log).
    return Math.min(60_000, Math.max(10, Math.ceil(freesInMs)));
  };
  const later = (waitMs: number) => {
    if (stopped) return;
    timer = setTimeout(() => exhaust().then(later, () => later(1_000)), waitMs).unref();
  };
  later(await exhaust());
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}

/** The URL of an organization of a demo listening on `port`. */
export function demoSite(subdomain: string, port: number): string {
  return `http://${subdomain ? `${subdomain}.` : ""}${DEMO_ROOT_DOMAIN}:${port}`;
}

/** The curl of one scenario row, against a demo listening on `port`. */
export function demoCurl(row: Pick<DemoScenario, "subdomain" | "username" | "password">, port: number): string {
  return `curl -sSX POST ${demoSite(row.subdomain, port)}${OPERATIONS.fetchApiKey.url} --data-urlencode username=${row.username} --data-urlencode password=${row.password}`;
}

/** How a row's answer is written in the table: "200 success" or "401 USER_DEACTIVATED". */
export function demoAnswer(row: DemoScenario): string {
  return `${row.status} ${row.outcome}`;
}

/** The Host a row's request names. */
export function demoHost(row: DemoScenario): string {
  return row.subdomain ? `${row.subdomain}.${DEMO_ROOT_DOMAIN}` : DEMO_ROOT_DOMAIN;
}

/** The scenario table as Markdown, then one curl line per row (docs/demo.md holds both for port 9991). */
export function demoMarkdown(port: number): string {
  const table = ["| Host | username | answer | why |", "| --- | --- | --- | --- |"];
  const curls: string[] = [];
  for (const row of DEMO_SCENARIOS) {
    table.push(`| \`${demoHost(row)}\` | \`${row.username}\` | ${row.status} \`${row.outcome}\` | ${row.why} |`);
    curls.push(`# ${demoHost(row)}, ${row.username}: ${demoAnswer(row)}`, demoCurl(row, port));
  }
  return `${table.join("\n")}\n\n\`\`\`sh\n${curls.join("\n")}\n\`\`\``;
}
