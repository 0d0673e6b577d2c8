import net from "node:net";
import type { Answer } from "../../src/contract/validator.ts";

/** Splits an HTTP/1.1 response as received on the wire (or printed by `curl -i`) into an Answer. */
export function parseRawHttp(text: string): Answer {
  const [head, ...rest] = text.split("\r\n\r\n");
  const [statusLine, ...lines] = head!.split("\r\n");
  const headers = new Headers(lines.map((l) => [l.slice(0, l.indexOf(":")), l.slice(l.indexOf(":") + 1).trim()] as [string, string]));
  return { status: Number(statusLine!.split(" ")[1]), headers, bodyText: rest.join("\r\n\r\n") };
}

/** Sends raw bytes on a new connection and collects what comes back until the server closes it. */
export function exchange(port: number, bytes: string | Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1", () => socket.end(bytes));
    const chunks: Buffer[] = [];
    socket.on("data", (d: Buffer) => chunks.push(d));
    socket.on("close", () => resolve(Buffer.concat(chunks).toString("latin1")));
    socket.on("error", reject);
  });
}
