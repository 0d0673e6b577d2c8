/** pino's levels, the values LOG_LEVEL and --log-level take (kept apart so the CLI's help loads no logger). */
export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

/** One of LOG_LEVELS. */
export type LogLevel = (typeof LOG_LEVELS)[number];
