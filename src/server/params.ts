import type { Context } from "hono";
import { badRequest } from "./errors.ts";
import { bodyText, queryOf } from "./request-body.ts";

/** Request parameters as Zulip reads them: the form body first, then the query string; the last repeat wins. */
export interface Params {
  get(name: string): string | undefined;
  /** Every key received, body and query string together. */
  names(): Set<string>;
}

const FORM_TYPES = new Set(["application/x-www-form-urlencoded", "multipart/form-data"]);

/** Reads the parameters of a request; a body of any other type (JSON included) is not read at all. */
export async function readParams(c: Context): Promise<Params> {
  const query = lastValues(queryOf(c));
  const essence = (c.req.header("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
  const body = FORM_TYPES.has(essence) ? await readForm(c, essence) : new Map<string, string>();
  return {
    get: (name) => body.get(name) ?? query.get(name),
    names: () => new Set([...body.keys(), ...query.keys()]),
  };
}

async function readForm(c: Context, essence: string): Promise<Map<string, string>> {
  try {
    if (essence === "application/x-www-form-urlencoded") return lastValues(new URLSearchParams(await bodyText(c)));
    // Uploaded files are not parameters (Django keeps them apart in request.FILES).
    const form = await c.req.raw.formData();
    return lastValues([...form].filter((entry): entry is [string, string] => typeof entry[1] === "string"));
  } catch (error) {
    if (error instanceof Error && error.name === "BodyLimitError") throw error;
    throw badRequest("Malformed request body");
  }
}

function lastValues(entries: Iterable<[string, string]>): Map<string, string> {
  const values = new Map<string, string>();
  for (const [key, value] of entries) values.set(key, value);
  return values;
}
