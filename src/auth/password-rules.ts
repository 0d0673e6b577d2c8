// The policy's settings apart from its zxcvbn check, so code that only names the policy does not load zxcvbn's dictionaries.

/** What a new password must meet (Zulip's PASSWORD_MIN_LENGTH and PASSWORD_MIN_GUESSES). */
export interface PasswordPolicy {
  minLength: number;
  maxLength: number;
  /** zxcvbn's estimate of guesses needed; 0 turns the estimate off. */
  minGuesses: number;
}

/** Zulip's defaults. */
export const DEFAULT_PASSWORD_POLICY: PasswordPolicy = { minLength: 6, maxLength: 100, minGuesses: 10_000 };
