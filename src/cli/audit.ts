import { Command, Option } from "commander";
import { type AuditQuery, DEFAULT_AUDIT_LIMIT, parseSince } from "../admin/audit.ts";
import { argument } from "./arguments.ts";
import { DATABASE } from "./options.ts";
import { addSettings, valuesOf } from "./setting.ts";
import { positiveWholeNumber } from "./values.ts";

interface AuditOptions extends AuditQuery {
  json?: boolean;
}

/** `zulip-auth audit`: the login audit trail, newest first. */
export function auditCommand(): Command {
  const command = new Command("audit")
    .description("list login attempts (fetch_api_key, dev_fetch_api_key) from the audit trail, newest first")
    .option("--user <email>", "only this username (compared as logins are: case and surrounding spaces ignored)")
    .option("--org <subdomain>", 'only this organization ("" for the root organization)')
    .option("--address <ip>", "only attempts from this client address")
    .option("--outcome <code>", "only this outcome: success or an error code such as AUTHENTICATION_FAILED")
    .addOption(
      new Option("--since <when>", "only attempts since a duration ago (30m, 1h, 7d) or a date (2026-11-01)").argParser(argument((v) => parseSince(v))),
    )
    .addOption(new Option("--limit <n>", "print at most n attempts").default(DEFAULT_AUDIT_LIMIT).argParser(positiveWholeNumber()))
    .option("--json", "print a JSON array");
  return addSettings(command, DATABASE).action(async (o: AuditOptions, command: Command) => {
    const where = valuesOf(DATABASE, command);
    // The store loads only when the command runs (--help stays fast).
    const [{ auditTrail }, { databaseName, printRows, withAdmin }] = await Promise.all([import("../admin/audit.ts"), import("./context.ts")]);
    const entries = await withAdmin(where, (a) =>
      auditTrail(a.store, {
        ...(o.user !== undefined ? { user: o.user } : {}),
        ...(o.org !== undefined ? { org: o.org } : {}),
        ...(o.address !== undefined ? { address: o.address } : {}),
        ...(o.outcome !== undefined ? { outcome: o.outcome } : {}),
        ...(o.since !== undefined ? { since: o.since } : {}),
        limit: o.limit,
      }),
    );
    const empty = `no login attempts match in ${databaseName(where)}`;
    if (o.json) return printRows(entries as unknown as Record<string, unknown>[], true, empty);
    // The table shows the root organization and absent values visibly rather than as blank cells.
    printRows(
      entries.map((e) => ({
        time: e.time,
        count: e.count,
        organization: e.organization === "" ? '""' : e.organization,
        username: e.username || "-",
        user_id: e.user_id ?? "-",
        ip: e.ip,
        client: e.client || "-",
        outcome: e.outcome,
        endpoint: e.endpoint,
        request_id: e.request_id,
        last_time: e.last_time ?? "-",
      })),
      false,
      empty,
    );
  });
}
