import { type DestinationStream, type Logger, pino } from "pino";
import { LogBlocks } from "./log-blocks.ts";

/** Keys whose values never reach a log line, wherever they appear. */
const REDACT = [
  "password",
  "api_key",
  "key",
  "authorization",
  "*.password",
  "*.api_key",
  "*.key",
  "*.authorization",
  "*.headers.authorization",
  "*.headers.cookie",
];

/**
 * The server's structured JSON logger; secrets are redacted by key. By default it writes to standard output
 * asynchronously, in blocks of LOG_BLOCK characters or every LOG_FLUSH_MS, whichever comes first: a write per access
 * line cost more than the rest of a server_settings answer but the socket write. Lines are gathered into
 * those blocks before they reach pino's destination (LogBlocks says why). Nothing queued is lost on exit:
 * the blocks and the destination are written synchronously when the process exits, however it exits
 * (SIGTERM's process.exit, the end of a command, an uncaught error).
 */
export function createLogger(destination?: DestinationStream, level = process.env.LOG_LEVEL ?? "info"): Logger {
  const stdout = () => new LogBlocks(pino.destination({ dest: 1, sync: false }), LOG_BLOCK, LOG_FLUSH_MS);
  return pino({ level, base: null, redact: { paths: REDACT, censor: "[redacted]" } }, destination ?? stdout());
}

/**
 * The logger of `serve` and `demo`: JSON lines (createLogger) for services and files, or, with `pretty` (a
 * terminal, or --log-format pretty), pino-pretty's lines of local time, level name and message, the other
 * fields below. pino-pretty is loaded only then, and writes synchronously: a person is reading, not a collector.
 */
export async function serviceLogger(format: "json" | "pretty", level: string): Promise<Logger> {
  if (format === "json") return createLogger(undefined, level);
  const { PinoPretty } = await import("pino-pretty");
  return createLogger(PinoPretty({ colorize: process.stdout.isTTY === true, translateTime: "SYS:standard", sync: true }), level);
}

/** The longest a log line waits in memory before it is written. */
const LOG_FLUSH_MS = 100;
/**
 * Characters written at once (about 120 access lines): each write is a hop to libuv's thread pool and back,
 * and blocks of 16 KiB cost a server_settings answer under a microsecond of it, against two with 4 KiB.
 */
const LOG_BLOCK = 16_384;

export type { Logger };

/** One access log line: fixed fields, none of which can hold a secret (the path is logged without its query). */
export interface AccessLine {
  reqId: string;
  /** The X-Request-Id the client sent, if any (printable, at most 200 characters). */
  clientReqId?: string;
  method: string;
  path: string;
  status: number;
  durationMs: number;
  organization: string | undefined;
  /** The client's address, as the limiter sees it. */
  address: string;
}

/** What the access line is made from, before the client-chosen parts are cut and the duration rounded. */
export type AccessFacts = Omit<AccessLine, "clientReqId"> & { clientReqId: string | undefined };

/** The access line for a request; the one place its fields are cut and rounded, for every way a request is answered. */
export function accessLine(facts: AccessFacts): AccessLine {
  const { clientReqId } = facts;
  return {
    reqId: facts.reqId,
    ...(clientReqId ? { clientReqId: clientReqId.replace(/[^\x20-\x7e]/g, "?").slice(0, 200) } : {}),
    method: facts.method,
    path: facts.path,
    status: facts.status,
    durationMs: Math.round(facts.durationMs * 10) / 10,
    // A client chooses both: cut to a DNS label and the longest IPv6 text.
    organization: facts.organization?.slice(0, 63),
    address: facts.address.slice(0, 45),
  };
}

/**
 * Writes access log lines, one per request, skipping redaction: these fields hold no secret by construction
 * (AccessLine admits no other), and redacting cost twice as much as writing the line (about 7 of 11 µs).
 */
export function accessLogger(logger: Logger): (level: "info" | "debug", line: AccessLine) => void {
  const access = logger.child({}, { redact: [] });
  return (level, line) => access[level](line, "request");
}
