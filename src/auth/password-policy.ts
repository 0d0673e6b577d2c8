import { ZxcvbnFactory } from "@zxcvbn-ts/core";
import { adjacencyGraphs, dictionary } from "@zxcvbn-ts/language-common";

import { DEFAULT_PASSWORD_POLICY, type PasswordPolicy } from "./password-rules.ts";

export { DEFAULT_PASSWORD_POLICY, type PasswordPolicy } from "./password-rules.ts";

let estimator: ZxcvbnFactory | undefined;

/** Why `password` fails the policy, or undefined when it passes. Never echoes the password. */
export function passwordWeakness(password: string, policy: PasswordPolicy = DEFAULT_PASSWORD_POLICY): string | undefined {
  const length = [...password].length;
  if (length < policy.minLength) return `the password must be at least ${policy.minLength} characters long`;
  if (length > policy.maxLength) return `the password must be at most ${policy.maxLength} characters long`;
  if (policy.minGuesses > 0) {
    estimator ??= new ZxcvbnFactory({ dictionary, graphs: adjacencyGraphs });
    if (estimator.check(password).guesses < policy.minGuesses) return "the password is too easy to guess";
  }
  return undefined;
}
