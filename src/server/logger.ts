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
  clientReqId: string | undefined;
  method: string;
  /** The request target's path as the client wrote it (percent-encoded, never decoded), without its query. */
  path: string;
  status: number;
  durationMs: number;
  organization: string | undefined;
  /** The client's address, as the limiter sees it. */
  address: string;
}

/**
 * The access line for a request; the one place its fields are cut and rounded, for every way a request is
 * answered. Every field a client chooses is made printable ASCII and cut: JSON escapes only C0 controls, so C1
 * controls (U+009B is a terminal's CSI), DEL and bidi overrides would reach the operator's terminal as they are.
 */
export function accessLine(facts: AccessLine): AccessLine {
  const { clientReqId, organization } = facts;
  return {
    reqId: facts.reqId,
    // Absent fields stay undefined: a log line leaves them out.
    clientReqId: clientReqId ? printable(clientReqId, 200) : undefined,
    method: facts.method,
    path: printable(facts.path, MAX_LOGGED_PATH),
    status: facts.status,
    durationMs: Math.round(facts.durationMs * 10) / 10,
    // Cut to a DNS label and the longest IPv6 text.
    organization: organization === undefined ? undefined : printable(organization, 63),
    address: printable(facts.address, 45),
  };
}

/** The longest path an access line holds: a request target may be as long as Node's 16 KiB header limit. */
const MAX_LOGGED_PATH = 512;

/** `text` with every character but printable ASCII as `?`, cut to `max` characters. */
function printable(text: string, max: number): string {
  const cut = text.length > max ? text.slice(0, max) : text;
  return /^[\x20-\x7e]*$/.test(cut) ? cut : cut.replace(/[^\x20-\x7e]/g, "?");
}

/** pino's internals read to write its line without its generic serialiser (`pino.symbols`, public). */
type PinoInternals = Record<symbol, unknown> & { levels: { values: Record<string, number> } };

/**
 * Writes access log lines, one per request, as the line `logger[level](line, "request")` writes: pino's own
 * level, time, bindings and line end around fields serialised here. These fields hold no secret by
 * construction (AccessLine admits no other), so redaction is skipped (it cost twice the line itself), and so
 * is pino's generic serialiser, which walked the object key by key (about 1.5 µs of a server_settings answer).
 * A logger with its own mixin, log formatter, write hook, message key, prefix or nesting, or a multistream,
 * gets its lines through pino as before.
 */
export function accessLogger(logger: Logger): (level: "info" | "debug", line: AccessLine) => void {
  const access = logger.child({}, { redact: [] });
  const own = access as unknown as PinoInternals;
  // msgPrefixSym is in pino.symbols, not yet in its types.
  const s = pino.symbols as typeof pino.symbols & { readonly msgPrefixSym: symbol };
  const stream = own[s.streamSym] as DestinationStream & Record<symbol, unknown>;
  const plain =
    !own[s.mixinSym] &&
    !(own[s.formattersSym] as { log?: unknown }).log &&
    !(own[s.hooksSym] as { streamWrite?: unknown }).streamWrite &&
    own[s.messageKeySym] === "msg" &&
    own[s.msgPrefixSym] === undefined &&
    !own[s.nestedKeySym] &&
    stream[s.needsMetadataGsym] !== true;
  if (!plain) return (level, line) => access[level](line, "request");
  const time = own[s.timeSym] as () => string;
  const levelStart = own[s.lsCacheSym] as Record<number, string>;
  const end = `,"msg":"request"${own[s.endSym] as string}`;
  return (level, line) => {
    // isLevelEnabled reads the logger's current level: `logger.level` may change while the server runs.
    if (!access.isLevelEnabled(level)) return;
    stream.write(levelStart[own.levels.values[level]!]! + time() + (own[s.chindingsSym] as string) + accessFields(line) + end);
  };
}

/** A number as pino writes it: JSON has no NaN or Infinity, so those are null. */
function number(value: number): string {
  return Number.isFinite(value) ? String(value) : "null";
}

/** The fields of an access line as pino writes them (`,"key":value`, in this order, absent ones left out). */
function accessFields(line: AccessLine): string {
  const text = JSON.stringify;
  return (
    `,"reqId":${text(line.reqId)}` +
    (line.clientReqId === undefined ? "" : `,"clientReqId":${text(line.clientReqId)}`) +
    `,"method":${text(line.method)},"path":${text(line.path)},"status":${line.status},"durationMs":${number(line.durationMs)}` +
    (line.organization === undefined ? "" : `,"organization":${text(line.organization)}`) +
    `,"address":${text(line.address)}`
  );
}
