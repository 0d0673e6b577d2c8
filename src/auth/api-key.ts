import { randomInt } from "node:crypto";
import { StoreError } from "../store/store.ts";

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/** A new API key: 32 characters of [A-Za-z0-9] from a cryptographic source, as Zulip makes them. */
function generateApiKey(): string {
  let key = "";
  for (let i = 0; i < 32; i++) key += ALPHABET[randomInt(ALPHABET.length)];
  return key;
}

/** Runs a write with a new API key, again with another on the (astronomically rare) collision of two keys. */
export async function withNewKey<T>(write: (apiKey: string) => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await write(generateApiKey());
    } catch (error) {
      if (!(error instanceof StoreError && error.kind === "duplicate-api-key") || attempt >= 3) throw error;
    }
  }
}
