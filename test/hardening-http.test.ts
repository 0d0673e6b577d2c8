import { mkdtempSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Admin } from "../src/admin/admin.ts";
import { PasswordHasher } from "../src/auth/password-hasher.ts";
import { DEFAULT_PASSWORD_POLICY } from "../src/auth/password-policy.ts";
import { getContractValidator } from "../src/contract/validator.ts";
import { createLogger } from "../src/server/logger.ts";
import { type RunningServer, startServer } from "../src/server/start.ts";
import { TEST_HASH } from "./helpers/harness.ts";
import { parseRawHttp } from "./helpers/raw-http.ts";

/** Sends raw bytes and collects what comes back until the server closes the connection. */
function raw(port: number, bytes: string | Buffer, { end = true } = {}): Promise<{ text: string; closedAfterMs: number }> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const socket = net.connect(port, "127.0.0.1", () => {
      socket.write(bytes);
      if (end) socket.end();
    });
    let text = "";
    socket.on("data", (d) => (text += d));
    socket.on("close", () => resolve({ text, closedAfterMs: Date.now() - started }));
    socket.on("error", reject);
  });
}

describe("bad input over real HTTP", () => {
  let server: RunningServer;
  let port: number;
  beforeAll(async () => {
    const db = join(mkdtempSync(join(tmpdir(), "zulip-auth-hard-")), "t.sqlite");
    server = await startServer({
      port: 0,
      host: "127.0.0.1",
      db,
      hashParams: TEST_HASH,
      logger: createLogger(undefined, "silent"),
      config: { headersTimeoutMs: 500, requestTimeoutMs: 1000 },
    });
    const admin = new Admin(server.store, new PasswordHasher(TEST_HASH), DEFAULT_PASSWORD_POLICY);
    await admin.addOrganization("", "Zulip Dev");
    await admin.addUser("", "zoe@zulip.com", "crème brûlée à deux");
    port = Number(new URL(server.url).port);
  });
  afterAll(async () => {
    await server?.close();
  });

  it.each([
    ["a Host with a space", "Host: a b\r\n"],
    ["a Host with a path", "Host: x/y\r\n"],
    ["a non-ASCII Host", "Host: é.com\r\n"],
    ["an empty Host", "Host: \r\n"],
    ["no Host at all", ""],
    ["a NUL byte in a header", "Host: x\u0000y\r\n"],
    ["a 3000-character Host", `Host: ${"a".repeat(3000)}\r\n`],
  ])("%s gets a contract-valid answer, never an empty 400 or a 5xx", async (_name, hostLine) => {
    const { text } = await raw(port, `GET /api/v1/server_settings HTTP/1.1\r\n${hostLine}Connection: close\r\n\r\n`);
    const answer = parseRawHttp(text);
    expect(answer.status).toBeLessThan(500);
    const validator = await getContractValidator();
    expect(validator.validateResponse("get-server-settings", answer), text).toEqual([]);
  });

  it('repeated headers read as the Fetch API reads them (joined with ", "), though Node\'s raw headers are used', async () => {
    const send = async (headers: string) =>
      parseRawHttp((await raw(port, `GET /api/v1/server_settings HTTP/1.1\r\nHost: localhost\r\n${headers}Connection: close\r\n\r\n`)).text);
    const joined = await send("user-agent: ZulipInvalid/1.0\r\nUser-Agent: other\r\nX-Request-Id: abc\r\nx-request-id: def\r\n");
    expect(JSON.parse(joined.bodyText)).toMatchObject({ is_incompatible: true });
    // The answer's id is always the server's own, whatever the client sent.
    expect(joined.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    const single = await send("User-Agent: ZulipMobile/27\r\nX-Request-Id: abc\r\n");
    expect(JSON.parse(single.bodyText)).toMatchObject({ is_incompatible: false });
    expect(single.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("a broken request line gets a JSON 400 and the connection closed", async () => {
    const { text } = await raw(port, "BLAH\r\n\r\n");
    const answer = parseRawHttp(text);
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.bodyText)).toEqual({ result: "error", msg: "Malformed request", code: "BAD_REQUEST" });
  });

  it("a client that never finishes its headers is cut off by the headers timeout", async () => {
    const { text, closedAfterMs } = await raw(port, "POST /api/v1/fetch_api_key HTTP/1.1\r\nHost: localhost\r\n", { end: false });
    expect(text).toBe("");
    expect(closedAfterMs).toBeGreaterThanOrEqual(400);
    expect(closedAfterMs).toBeLessThan(5000);
  });

  it("a client that stalls in the middle of its body is cut off by the request timeout", async () => {
    const { closedAfterMs } = await raw(
      port,
      "POST /api/v1/fetch_api_key HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nusername=",
      { end: false },
    );
    expect(closedAfterMs).toBeGreaterThanOrEqual(900);
    expect(closedAfterMs).toBeLessThan(6000);
  });

  it("a body announced over the limit gets a JSON 413 without the server reading it", async () => {
    const { text } = await raw(
      port,
      "POST /api/v1/fetch_api_key HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 10000000\r\nConnection: close\r\n\r\nusername=a",
      { end: false },
    );
    const answer = parseRawHttp(text);
    expect(answer.status).toBe(413);
    const validator = await getContractValidator();
    expect(validator.validateResponse("fetch-api-key", answer)).toEqual([]);
  });

  it("reads a form body sent in pieces, split inside a character, with Content-Length or chunked, as the Fetch API decodes it", async () => {
    // A leading byte-order mark is dropped, as the Fetch API's text() drops it.
    const form = Buffer.concat([
      Buffer.from([0xef, 0xbb, 0xbf]),
      Buffer.from(new URLSearchParams({ username: "zoe@zulip.com" }).toString() + "&password=crème brûlée à deux"),
    ]);
    const head = "POST /api/v1/fetch_api_key HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\nConnection: close\r\n";
    const cut = form.indexOf(Buffer.from("è")) + 1;
    const sent = await Promise.all([
      pieces(port, [Buffer.from(`${head}Content-Length: ${form.length}\r\n\r\n`), form.subarray(0, cut), form.subarray(cut)]),
      pieces(port, [
        Buffer.from(`${head}Transfer-Encoding: chunked\r\n\r\n`),
        chunk(form.subarray(0, cut)),
        chunk(form.subarray(cut)),
        Buffer.from("0\r\n\r\n"),
      ]),
    ]);
    const validator = await getContractValidator();
    for (const text of sent) {
      const answer = parseRawHttp(text);
      expect(validator.validateResponse("fetch-api-key", answer)).toEqual([]);
      expect(answer.status).toBe(200);
      expect(JSON.parse(answer.bodyText).email).toBe("zoe@zulip.com");
    }
  });
});

/** One chunk of a chunked body. */
function chunk(bytes: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${bytes.length.toString(16)}\r\n`), bytes, Buffer.from("\r\n")]);
}

/** Sends a request in several writes, each after the server has had the previous (the connection drained). */
function pieces(port: number, parts: Buffer[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1", async () => {
      for (const part of parts) await new Promise<void>((done) => socket.write(part, () => setImmediate(done)));
    });
    let text = "";
    socket.on("data", (d) => (text += d));
    socket.on("close", () => resolve(text));
    socket.on("error", reject);
  });
}
