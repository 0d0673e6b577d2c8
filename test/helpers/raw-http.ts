import type { Answer } from "../../src/contract/validator.ts";

/** Splits an HTTP/1.1 response as received on the wire (or printed by `curl -i`) into an Answer. */
export function parseRawHttp(text: string): Answer {
  const [head, ...rest] = text.split("\r\n\r\n");
  const [statusLine, ...lines] = head!.split("\r\n");
  const headers = new Headers(lines.map((l) => [l.slice(0, l.indexOf(":")), l.slice(l.indexOf(":") + 1).trim()] as [string, string]));
  return { status: Number(statusLine!.split(" ")[1]), headers, bodyText: rest.join("\r\n\r\n") };
}
