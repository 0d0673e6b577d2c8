import type { LoginAttempt } from "../store/schema.ts";
import type { Store } from "../store/store.ts";

/** One audit row as the `audit` command prints it: the stored row without its id. */
export type AuditEntry = Omit<LoginAttempt, "id">;

/** Which attempts to list; every field given must match. */
export interface AuditQuery {
  user?: string;
  org?: string;
  address?: string;
  outcome?: string;
  /** ISO time. */
  since?: string;
  limit: number;
}

/** The rows printed unless --limit says otherwise. */
export const DEFAULT_AUDIT_LIMIT = 100;

const UNITS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** Parses `--since`: a duration back from `now` (30m, 1h, 7d, 2w) or a date or time (2026-11-01, 2026-11-01T12:00Z). */
export function parseSince(text: string, now = Date.now()): string {
  const duration = /^(\d+)([smhdw])$/.exec(text);
  if (duration) return new Date(now - Number(duration[1]) * UNITS[duration[2]!]!).toISOString();
  const time = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(text) ? Date.parse(text) : NaN;
  if (Number.isNaN(time)) throw new Error(`expected a duration (30m, 1h, 7d, 2w) or a date (2026-11-01, 2026-11-01T12:00Z), not "${text}"`);
  return new Date(time).toISOString();
}

/** Outcomes are stored as "success" or an upper-case code: accept them in any case. */
export function normalizeOutcome(text: string): string {
  return text.toLowerCase() === "success" ? "success" : text.toUpperCase();
}

/** The login attempts matching the query, newest first. */
export async function auditTrail(store: Store, query: AuditQuery): Promise<AuditEntry[]> {
  const rows = await store.listLoginAttempts({
    ...(query.user !== undefined ? { username: query.user } : {}),
    ...(query.org !== undefined ? { organization: query.org } : {}),
    ...(query.address !== undefined ? { ip: query.address } : {}),
    ...(query.outcome !== undefined ? { outcome: normalizeOutcome(query.outcome) } : {}),
    ...(query.since !== undefined ? { since: query.since } : {}),
    limit: query.limit,
  });
  return rows.map(({ time, organization, endpoint, username, user_id, ip, client, outcome, request_id, count, last_time }) => ({
    time,
    organization,
    endpoint,
    username,
    user_id,
    ip,
    client,
    outcome,
    request_id,
    count,
    last_time,
  }));
}
