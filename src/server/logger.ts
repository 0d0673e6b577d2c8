import { pino, type DestinationStream, type Logger } from "pino";

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

/** The server's structured JSON logger; secrets are redacted by key. */
export function createLogger(destination?: DestinationStream, level = process.env.LOG_LEVEL ?? "info"): Logger {
  return pino({ level, base: undefined, redact: { paths: REDACT, censor: "[redacted]" } }, destination);
}
export type { Logger };
