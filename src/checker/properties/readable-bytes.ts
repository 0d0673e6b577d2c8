import { runProperty } from "./property.ts";

const BOM = [0xef, 0xbb, 0xbf];
const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** Why a JSON answer's bytes are not what a client's parser reads; undefined when they are. */
export function unreadable(bytes: Uint8Array): string | undefined {
  if (BOM.every((b, i) => bytes[i] === b)) return "it starts with a UTF-8 byte order mark, which Python's json.loads refuses";
  let text: string;
  try {
    text = strictUtf8.decode(bytes);
  } catch {
    return "it is not valid UTF-8 (fetch's text() replaces the bad bytes; Python's json.loads and Dart's utf8.decode refuse them)";
  }
  try {
    JSON.parse(text);
  } catch {
    return "it is not exactly one JSON value";
  }
  return undefined;
}

/**
 * Every answer labelled JSON is read from its raw bytes as clients read it: valid UTF-8, no BOM, exactly one
 * JSON value. Zulip's json_success and json_error (`zerver/lib/response.py`) serialise with orjson, which
 * writes UTF-8 without a BOM, one value and a newline.
 */
export const readableBytes = runProperty({
  id: "readable-bytes",
  title: "bytes as clients read them: every JSON answer is valid UTF-8, without a BOM, exactly one JSON value",
  judge(ctx, answers) {
    const json = answers.filter((e) => /^application\/json\b/i.test(e.answer.headers.get("content-type") ?? "") && e.bytes.length > 0);
    if (json.length === 0) ctx.notChecked("no answer labelled application/json came");
    for (const e of json) {
      const why = unreadable(e.bytes);
      if (why === undefined) continue;
      ctx.fail(e, "bytes-unreadable", `the answer is labelled JSON but ${why}`, {
        spec: [...ctx.operationSpec(e.spec.operationId), "responses", String(e.answer.status)],
        expected: "UTF-8 JSON without a BOM: one value",
        actual: `${e.bytes.length} bytes, starting ${[...e.bytes.slice(0, 8)].map((b) => b.toString(16).padStart(2, "0")).join(" ")}`,
      });
    }
  },
});
