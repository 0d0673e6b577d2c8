import type { ZxcvbnFactory } from "@zxcvbn-ts/core";

import { DEFAULT_PASSWORD_POLICY, type PasswordPolicy } from "./password-rules.ts";

export { DEFAULT_PASSWORD_POLICY, type PasswordPolicy } from "./password-rules.ts";

let estimator: Promise<ZxcvbnFactory> | undefined;

/**
 * zxcvbn and its dictionaries, loaded on first use: a server needs them only to carry a password over to new
 * hash parameters, which may never happen, and they are several MB in memory.
 */
async function loadEstimator(): Promise<ZxcvbnFactory> {
  const [{ ZxcvbnFactory }, { adjacencyGraphs, dictionary }] = await Promise.all([import("@zxcvbn-ts/core"), import("@zxcvbn-ts/language-common")]);
  return new ZxcvbnFactory({ dictionary, graphs: adjacencyGraphs });
}

/** Why `password` fails the policy, or undefined when it passes. Never echoes the password. */
export async function passwordWeakness(password: string, policy: PasswordPolicy = DEFAULT_PASSWORD_POLICY): Promise<string | undefined> {
  const length = [...password].length;
  if (length < policy.minLength) return `the password must be at least ${policy.minLength} characters long`;
  if (length > policy.maxLength) return `the password must be at most ${policy.maxLength} characters long`;
  if (policy.minGuesses > 0) {
    estimator ??= loadEstimator();
    if ((await estimator).check(password).guesses < policy.minGuesses) return "the password is too easy to guess";
  }
  return undefined;
}
