import { request } from "node:http";
import { connect } from "node:net";

/** An answer read off the wire, as a fetch Response (for the contract checks). */
export interface WireAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  response: Response;
}

/**
 * One HTTP request from a chosen loopback address (`localAddress` 127.0.0.x), as if from another machine: the
 * server sees that address as the client's.
 */
export function fromAddress(
  url: string,
  localAddress: string,
  init: { method?: string; path: string; host?: string; form?: Record<string, string>; headers?: Record<string, string>; agent?: import("node:http").Agent },
): Promise<WireAnswer> {
  const body = init.form ? new URLSearchParams(init.form).toString() : undefined;
  return new Promise((resolve, reject) => {
    const req = request(
      `${url}${init.path}`,
      {
        method: init.method ?? (body ? "POST" : "GET"),
        localAddress,
        ...(init.agent ? { agent: init.agent } : {}),
        headers: {
          ...(init.host ? { host: init.host } : {}),
          ...(body ? { "content-type": "application/x-www-form-urlencoded", "content-length": Buffer.byteLength(body) } : {}),
          ...init.headers,
        },
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (d: string) => (text += d));
        res.on("end", () => {
          const headers = new Headers();
          for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) headers.set(k, Array.isArray(v) ? v.join(", ") : v);
          resolve({ status: res.statusCode!, headers: res.headers, text, response: new Response(text, { status: res.statusCode!, headers }) });
        });
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

/**
 * Sends raw bytes and returns what came back once the server closed the connection. No deadline of its own: a
 * server that never closes it fails the test at vitest's timeout.
 */
export function rawExchange(url: string, bytes: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    let out = "";
    const socket = connect(Number(port), hostname, () => socket.write(bytes));
    socket.setEncoding("utf8");
    socket.on("data", (d: string) => (out += d));
    socket.on("error", reject);
    socket.on("close", () => resolve(out));
  });
}
