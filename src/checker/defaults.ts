/** Longest wait for one answer by default, in milliseconds (kept apart so the CLI's --help loads nothing else). */
export const CHECK_TIMEOUT_MS = 10_000;
