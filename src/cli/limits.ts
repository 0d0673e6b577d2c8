import { Command } from "commander";
import type { ClearTarget, LimitTarget } from "../admin/limits.ts";
import type { AttemptLog } from "../auth/attempt-log.ts";
import { DEFAULT_SERVICE_TIMEOUT_MS } from "../store/open.ts";
import { DATABASE, REDIS_URL } from "./options.ts";
import { addSettings, type Values, valuesOf } from "./setting.ts";
import { UserError } from "./user-error.ts";

// The actions import what they run when they run (Redis, the store), so --help loads only commander.

/** Where the attempt log is: the server's Redis when it was given one, else its database. */
const LIMITS_SETTINGS = { ...DATABASE, redisUrl: REDIS_URL };

interface LimitsOptions extends LimitTarget {
  json?: boolean;
}

/** Runs an action on the attempt log the server uses: Redis when given, else the database's table. */
async function withLog<T>(o: Values<typeof LIMITS_SETTINGS>, action: (log: AttemptLog) => Promise<T>): Promise<T> {
  if (o.redisUrl) {
    const { connectRedisLog } = await import("../auth/redis-attempt-log.ts");
    const log = await connectRedisLog(o.redisUrl, { timeoutMs: DEFAULT_SERVICE_TIMEOUT_MS });
    try {
      return await action(log);
    } finally {
      await log.close();
    }
  }
  const [{ openStore }, { SqlAttemptLog }] = await Promise.all([import("../store/open.ts"), import("../auth/sql-attempt-log.ts")]);
  const store = await openStore({ databaseUrl: o.databaseUrl, sqlitePath: o.db });
  try {
    return await action(new SqlAttemptLog(store));
  } finally {
    await store.close();
  }
}

const common = (c: Command) =>
  addSettings(
    c
      .option("--user <email>", "a username (as typed at login: case and surrounding spaces do not matter)")
      .option("--org <subdomain>", 'the organization\'s subdomain ("" for the root organization)')
      .option("--address <ip>", "a client address (an IPv6 address stands for its /64)"),
    LIMITS_SETTINGS,
  );

/** `zulip-auth limits …`: what the brute-force defence holds, and lifting it. */
export function limitsCommand(): Command {
  const limits = new Command("limits").description("show or clear login limits (the brute-force defence)");
  common(limits.command("show").description("show what is limited, until when, after how many attempts"))
    .option("--json", "print JSON")
    .action(async (o: LimitsOptions, command: Command) => {
      const [{ showLimits }, { printRows }] = await Promise.all([import("../admin/limits.ts"), import("./context.ts")]);
      const rows = await withLog(valuesOf(LIMITS_SETTINGS, command), (log) => showLimits(log, o));
      const empty = "no login attempts in any window";
      if (o.json) return printRows(rows as never, true, empty);
      printRows(
        rows
          .map((r) => ({ ...r, limitedUntil: r.limitedUntil ?? "-", limit: `${r.limit}/${r.windowSeconds}s`, windowSeconds: undefined }))
          .map(({ windowSeconds: _w, ...r }) => r),
        false,
        empty,
      );
    });
  common(limits.command("clear").description("lift the limits of a user (--user EMAIL [--org SUB]) or of an address (--address IP)")).action(
    async (o: LimitsOptions, command: Command) => {
      const target = clearTarget(o);
      const { clearLimits } = await import("../admin/limits.ts");
      const cleared = await withLog(valuesOf(LIMITS_SETTINGS, command), (log) => clearLimits(log, target));
      process.stdout.write(`cleared ${cleared} bucket${cleared === 1 ? "" : "s"}\n`);
    },
  );
  return limits;
}

/** Whose limits `limits clear` lifts: --user (with --org if need be) or --address, never both. */
function clearTarget(o: LimitsOptions): ClearTarget {
  if ((o.user === undefined) === (o.address === undefined)) throw new UserError("name either --user EMAIL (with --org SUB if need be) or --address IP", 2);
  if (o.user !== undefined) return { user: o.user, org: o.org };
  if (o.org !== undefined) throw new UserError("--org goes with --user", 2);
  return { address: o.address! };
}
