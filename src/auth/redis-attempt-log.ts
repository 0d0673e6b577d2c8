import { Redis } from "ioredis";
import { ResourceError } from "../shared/errors.ts";
import { anyFailure, guard } from "../shared/unavailable.ts";
import { safeUrl } from "../shared/url.ts";
import {
  type AttemptLog,
  type Bucket,
  type BucketEntries,
  type BucketFilter,
  KNOWN_ADDRESS_MS,
  KNOWN_ADDRESSES,
  type KnownAddress,
  type LogRequest,
  matches,
  RULE_NAMES,
  type RuleName,
} from "./attempt-log.ts";

/** How the Redis log bounds its waits and reports its connection's state. */
export interface RedisLogOptions {
  /** Longest wait for a connection or a command, in milliseconds. */
  timeoutMs: number;
  /** The connection broke or came back; ioredis keeps reconnecting in between. */
  onStateChange?: (state: "lost" | "restored", error?: Error) => void;
}

/** Keys are `<prefix>:<rule>:<org>:<username>:<address>` (parts URI-encoded), apart from anything else the Redis holds. */
const REDIS_KEY_PREFIX = "zulip-auth:limit";
/** A user's known addresses: one sorted set `<prefix>:<org>:<username>`, each address scored by its last success. */
const KNOWN_KEY_PREFIX = "zulip-auth:known";

// KEYS[1]: the user's known addresses. ARGV: the address, the time, how many to keep, for how long (ms).
const REMEMBER = `
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
redis.call('ZREMRANGEBYRANK', KEYS[1], 0, -(tonumber(ARGV[3]) + 1))
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 0
`;

// KEYS: the buckets. ARGV: now, the entry's member, then per bucket its attempts, window (ms), since and
// whether it is only checked (1) or recorded too (0). Prunes every bucket, records in all of them unless one is
// full, and returns each bucket's entries. The member carries the rule (`id|attempts|window`) so that a reader
// knows the window; each key expires with it.
const RECORD = `
local now = tonumber(ARGV[1])
local full = false
for i, key in ipairs(KEYS) do
  local attempts = tonumber(ARGV[4 * i - 1])
  local window = tonumber(ARGV[4 * i])
  local since = tonumber(ARGV[4 * i + 1])
  redis.call('ZREMRANGEBYSCORE', key, '-inf', math.max(now - window, since))
  if redis.call('ZCARD', key) >= attempts then full = true end
end
local out = { full and 0 or 1 }
for i, key in ipairs(KEYS) do
  if not full and ARGV[4 * i + 2] == '0' then
    redis.call('ZADD', key, now, ARGV[2] .. '|' .. ARGV[4 * i - 1] .. '|' .. ARGV[4 * i])
    redis.call('PEXPIRE', key, tonumber(ARGV[4 * i]))
  end
  out[i + 1] = redis.call('ZRANGE', key, 0, -1, 'WITHSCORES')
end
return out
`;

// KEYS: the buckets; ARGV[1]: the entry's id. Removes the member whatever rule it was recorded under.
const REMOVE = `
for _, key in ipairs(KEYS) do
  for _, member in ipairs(redis.call('ZRANGE', key, 0, -1)) do
    if string.sub(member, 1, string.len(ARGV[1]) + 1) == ARGV[1] .. '|' then redis.call('ZREM', key, member) end
  end
end
return 0
`;

/** The Redis key of a bucket. */
export function redisKey(b: Bucket): string {
  return [REDIS_KEY_PREFIX, b.rule, b.org, b.username, b.address].map((part, i) => (i === 0 ? part : encodeURIComponent(part))).join(":");
}

/** The Redis key of a user's known addresses. */
function knownKey(user: KnownAddress): string {
  return [KNOWN_KEY_PREFIX, encodeURIComponent(user.org), encodeURIComponent(user.username)].join(":");
}

function bucketOf(key: string): Bucket | undefined {
  const parts = key.slice(REDIS_KEY_PREFIX.length + 1).split(":");
  if (parts.length !== 4 || !RULE_NAMES.includes(parts[0] as RuleName)) return undefined;
  const [rule, org, username, address] = parts.map((p) => decodeURIComponent(p)) as [RuleName, string, string, string];
  return { rule, org, username, address };
}

/**
 * Connects to Redis as the server uses it: no offline queue (a command while disconnected fails at once: a
 * 503), bounded waits, reconnecting for ever. Fails with a ResourceError when Redis does not answer in time.
 */
export async function connectRedisLog(url: string, options: RedisLogOptions): Promise<RedisAttemptLog> {
  let lost = false;
  const redis = new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: options.timeoutMs,
    connectTimeout: options.timeoutMs,
    retryStrategy: (times) => Math.min(times * 100, 1000),
    connectionName: "zulip-auth",
    lazyConnect: true,
  });
  // Without a listener ioredis prints every connection error to the console.
  redis.on("error", (error: Error) => {
    if (lost) return;
    lost = true;
    options.onStateChange?.("lost", error);
  });
  redis.on("ready", () => {
    if (!lost) return;
    lost = false;
    options.onStateChange?.("restored");
  });
  try {
    await new Promise<void>((resolve, reject) => {
      // The first error says why (refused, wrong password); connect() itself only says "Connection is closed".
      const timer = setTimeout(() => reject(new Error(`no answer within ${options.timeoutMs} ms`)), options.timeoutMs);
      redis.once("error", (error: Error) => (clearTimeout(timer), reject(error)));
      redis.connect().then(
        () => (clearTimeout(timer), resolve()),
        (error: Error) => (clearTimeout(timer), reject(error)),
      );
    });
  } catch (error) {
    redis.disconnect();
    throw new ResourceError(`cannot reach the rate-limit store at ${safeUrl(url)}: ${(error as Error).message}`, { cause: error });
  }
  return new RedisAttemptLog(redis);
}

/**
 * Sliding logs as Redis sorted sets (score: the attempt's time), shared by every instance using the same Redis.
 * Recording is one Lua script, so concurrent attempts on several instances are counted exactly; each key
 * expires with its window, so Redis prunes what no one touches again.
 */
export class RedisAttemptLog implements AttemptLog {
  constructor(private readonly redis: Redis) {}

  record(requests: LogRequest[], now: number, id: string): Promise<{ recorded: boolean; times: number[][] }> {
    return this.call(async () => {
      const args = requests.flatMap((r) => [r.attempts, r.windowMs, r.since ?? 0, r.checkOnly ? 1 : 0]);
      const [flag, ...sets] = (await this.redis.eval(RECORD, requests.length, ...requests.map((r) => redisKey(r.bucket)), now, id, ...args)) as [
        number,
        string[][],
      ];
      return { recorded: flag === 1, times: (sets as unknown as string[][]).map(scores) };
    });
  }

  async remove(buckets: Bucket[], id: string): Promise<void> {
    if (buckets.length > 0) await this.call(() => this.redis.eval(REMOVE, buckets.length, ...buckets.map(redisKey), id));
  }

  async clear(buckets: Bucket[]): Promise<void> {
    if (buckets.length > 0) await this.call(() => this.redis.del(...buckets.map(redisKey)));
  }

  async isKnownAddress(user: KnownAddress, since: number): Promise<boolean> {
    const at = await this.call(() => this.redis.zscore(knownKey(user), user.address));
    return at !== null && Number(at) > since;
  }

  async rememberAddress(user: KnownAddress, at: number): Promise<void> {
    await this.call(() => this.redis.eval(REMEMBER, 1, knownKey(user), user.address, at, KNOWN_ADDRESSES, KNOWN_ADDRESS_MS));
  }

  async list(filter: BucketFilter, now: number): Promise<BucketEntries[]> {
    const found: BucketEntries[] = [];
    for (const key of await this.keys()) {
      const bucket = bucketOf(key);
      if (!bucket || !matches(bucket, filter)) continue;
      const flat = await this.call(() => this.redis.zrange(key, "0", "-1", "WITHSCORES"));
      const members = flat.filter((_, i) => i % 2 === 0);
      const times = scores(flat);
      if (members.length === 0) continue;
      const [, attempts, windowMs] = members[members.length - 1]!.split("|").map(Number) as [number, number, number];
      const live = times.filter((t, i) => t + Number(members[i]!.split("|")[2]) > now);
      if (live.length > 0) found.push({ bucket, times: live, attempts, windowMs });
    }
    return found;
  }

  async clearMatching(filter: BucketFilter): Promise<number> {
    const buckets = (await this.keys()).map(bucketOf).filter((b): b is Bucket => b !== undefined && matches(b, filter));
    await this.clear(buckets);
    return buckets.length;
  }

  /** Redis expires each key with its window; nothing else to sweep. */
  async prune(): Promise<void> {}

  async ping(): Promise<void> {
    await this.call(() => this.redis.ping());
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }

  private async keys(): Promise<string[]> {
    const keys: string[] = [];
    let cursor = "0";
    do {
      const [next, batch] = await this.call(() => this.redis.scan(cursor, "MATCH", `${REDIS_KEY_PREFIX}:*`, "COUNT", 1000));
      keys.push(...batch);
      cursor = next;
    } while (cursor !== "0");
    return keys;
  }

  private call<T>(command: () => Promise<T>): Promise<T> {
    return guard("rate-limit store", anyFailure, command);
  }
}

/** The scores of a ZRANGE … WITHSCORES answer. */
function scores(flat: string[]): number[] {
  return flat.filter((_, i) => i % 2 === 1).map(Number);
}
