/** argon2id cost parameters. */
export interface HashParams {
  /** KiB of memory. */
  memoryCost: number;
  timeCost: number;
  parallelism: number;
}

/** OWASP's minimum for argon2id: 19 MiB, 2 passes, 1 lane. */
export const OWASP_MINIMUM: HashParams = { memoryCost: 19456, timeCost: 2, parallelism: 1 };

/** Parses "m=19456,t=2,p=1" (memory KiB, passes, lanes), the notation of argon2's PHC strings. */
export function parseHashParams(text: string): HashParams {
  const fields = Object.fromEntries(text.split(",").map((kv) => kv.trim().split("=") as [string, string]));
  const num = (k: string) => {
    const n = Number(fields[k]);
    if (!Number.isInteger(n) || n < 1) throw new Error(`expected m=<KiB>,t=<passes>,p=<lanes>, not "${text}"`);
    return n;
  };
  const params = { memoryCost: num("m"), timeCost: num("t"), parallelism: num("p") };
  if (params.memoryCost < 8 * params.parallelism) throw new Error("argon2 needs at least 8 KiB of memory per lane");
  return params;
}
