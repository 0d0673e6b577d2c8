/** Longest wait for one answer by default, in milliseconds. */
export const DEFAULT_TIMEOUT_MS = 10_000;
