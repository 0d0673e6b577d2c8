/** Longest wait for one answer by default, in milliseconds (kept apart so the CLI's --help loads nothing else). */
export const CHECK_TIMEOUT_MS = 10_000;

/**
 * The most failed logins a run may spend on the given account (`--failed-logins`): Zulip allows 5 per username
 * per 30 minutes (`zproject/backends.py`, `RateLimitedAuthenticationByUsername`), and the run's second successful
 * login must still find a free slot.
 */
export const MAX_FAILED_LOGINS = 4;
