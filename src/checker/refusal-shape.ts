import { isJsonObject } from "../shared/text.ts";
import type { Exchange } from "./exchange.ts";

/** Headers that differ between any two answers (time, length, ids): not compared by name. */
const VARYING_HEADERS = new Set([
  "date",
  "content-length",
  "x-request-id",
  "x-zulip-request-id",
  "etag",
  "last-modified",
  "age",
  "set-cookie",
  "connection",
  "keep-alive",
]);

/** What any two refusals must share, whoever was asked for: status, code, msg, field names and header names. */
export function refusalShape(e: Exchange) {
  const body = isJsonObject(e.json) ? e.json : {};
  return {
    status: e.answer.status,
    code: body.code,
    msg: body.msg,
    fields: Object.keys(body).sort(),
    headers: [...e.answer.headers.keys()].filter((n) => !VARYING_HEADERS.has(n)).sort(),
  };
}
