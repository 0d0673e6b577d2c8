import { execFile } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { expect, it } from "vitest";
import { missingServerFlags, SERVER_NODE_FLAGS } from "../src/cli/node-flags.ts";
import { getContractValidator } from "../src/contract/validator.ts";
import { BIN, runCli, startProcess, startServerProcess } from "./helpers/process.ts";
import { parseRawHttp } from "./helpers/raw-http.ts";

// SIGTERM with keep-alive clients: idle connections (also one that never sent a byte) are closed at once, the
// request in flight is answered with Connection: close, and the process exits. The server's own timeouts are
// set far beyond the test's timeout, so a server that waited for any of these connections to time out would
// fail the test rather than pass it late.

const sh = promisify(execFile);

/** A raw connection to the server, with everything it received and a promise of its end. */
async function connect(url: string) {
  const { port } = new URL(url);
  const socket = net.connect(Number(port), "127.0.0.1");
  await once(socket, "connect");
  let received = "";
  socket.setEncoding("latin1");
  socket.on("data", (d: string) => (received += d));
  const ended = new Promise<void>((resolve) => socket.once("close", () => resolve()));
  /** Waits until what was received matches. */
  const waitFor = (pattern: RegExp) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (pattern.test(received)) {
          socket.off("data", check);
          resolve();
        }
      };
      socket.on("data", check);
      socket.once("close", () => (pattern.test(received) ? resolve() : reject(new Error(`connection closed before ${pattern}: ${received}`))));
      check();
    });
  return { socket, ended, waitFor, received: () => received };
}

it("SIGTERM closes idle keep-alive connections at once, answers the request in flight with Connection: close, and exits 0", async () => {
  const db = join(mkdtempSync(join(tmpdir(), "zulip-auth-shutdown-")), "db.sqlite");
  expect((await runCli(["org", "add", "", "--db", db])).code).toBe(0);
  const server = await startServerProcess(["serve", "--port", "0", "--db", db, "--headers-timeout", "600000", "--request-timeout", "600000"]);

  // 1. Has sent nothing at all.
  const silent = await connect(server.url);
  // 2. Had an answer and keeps the connection open (HTTP/1.1's default).
  const idle = await connect(server.url);
  idle.socket.write("GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n");
  await idle.waitFor(/\r\n\r\n/);
  expect(idle.received()).toMatch(/^HTTP\/1\.1 200 /);
  expect(idle.received()).toMatch(/\r\nConnection: keep-alive\r\n/i);
  // 3. In flight: the server has its headers (it says "100 Continue" as it takes the request) but not the body yet.
  const body = "username=iago%40zulip.com&password=wrong-password";
  const busy = await connect(server.url);
  busy.socket.write(
    `POST /api/v1/fetch_api_key HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\nExpect: 100-continue\r\n\r\n`,
  );
  await busy.waitFor(/^HTTP\/1\.1 100 Continue\r\n\r\n/);

  const started = Date.now();
  server.child.kill("SIGTERM");
  await server.waitForOutput(/"signal":"SIGTERM","msg":"stopping"/);
  // The idle ones are closed by the server, without waiting for any timeout.
  await Promise.all([silent.ended, idle.ended]);
  expect(silent.received()).toBe("");
  // The request in flight is still answered, and told that its connection ends with it.
  busy.socket.write(body);
  await busy.ended;
  const answer = parseRawHttp(busy.received().replace(/^HTTP\/1\.1 100 Continue\r\n\r\n/, ""));
  expect(answer.status).toBe(401); // no such user: answered as a wrong password
  expect((await getContractValidator()).validateResponse("fetch-api-key", answer)).toEqual([]);
  expect(answer.headers.get("connection")).toBe("close");
  expect(await server.stop()).toBe(0);
  // Not a timing test: the server's own timeouts (10 minutes) would have held it far longer than this.
  expect(Date.now() - started).toBeLessThan(30_000);
});

it("serve started without V8's flags runs itself again with them; killed with SIGKILL, its starter leaves no server behind", async () => {
  const db = join(mkdtempSync(join(tmpdir(), "zulip-auth-relaunch-")), "db.sqlite");
  const server = await startServerProcess(["serve", "--port", "0", "--db", db]);
  const { stdout } = await sh("ps", ["-o", "pid=,args=", "--ppid", String(server.child.pid)]);
  const [child] = stdout.trim().split("\n");
  expect(child).toMatch(new RegExp(`^\\s*\\d+ \\S*node ${SERVER_NODE_FLAGS.join(" ")} \\S*bin\\.js serve --port 0 --db `));
  const idle = await connect(server.url);
  expect(await server.stop("SIGKILL")).toBeNull();
  // The server itself notices its starter is gone and stops as on SIGTERM, closing its connections.
  await idle.ended;
  await server.waitForOutput(/"signal":"parent process gone","msg":"stopping"/);
});

it("V8's flags the operator gave, in any spelling or in NODE_OPTIONS, are kept: only the missing ones are added", async () => {
  const [semi, growing] = SERVER_NODE_FLAGS.map((flag) => flag.slice(0, flag.indexOf("=")));
  expect(missingServerFlags([`${semi}=16`, "--heap_growing_percent=30"])).toEqual([]);
  expect(missingServerFlags(["--import", "tsx"], " --max_semi_space_size=16 ")).toEqual([SERVER_NODE_FLAGS[1]]);
  expect(missingServerFlags([`${growing}=50`])).toEqual([SERVER_NODE_FLAGS[0]]);
  expect(missingServerFlags(["--optimize_for_size"])).toEqual([]);
  expect(missingServerFlags([])).toEqual([...SERVER_NODE_FLAGS]);
  const db = join(mkdtempSync(join(tmpdir(), "zulip-auth-relaunch-")), "db.sqlite");
  // One flag on the command line: the relaunch adds the other, never its own value of this one after it.
  const one = await startProcess(process.execPath, ["--max_semi_space_size=16", BIN, "serve", "--port", "0", "--db", db]);
  const { stdout } = await sh("ps", ["-o", "pid=,args=", "--ppid", String(one.child.pid)]);
  expect(stdout.trim()).toMatch(new RegExp(`^\\d+ \\S*node --max_semi_space_size=16 ${SERVER_NODE_FLAGS[1]} \\S*bin\\.js serve `));
  expect(await one.stop()).toBe(0);
  // Both given, one of them in NODE_OPTIONS: the server runs in this very process.
  const both = await startProcess(process.execPath, [`${growing}=30`, BIN, "serve", "--port", "0", "--db", db], { env: { NODE_OPTIONS: `${semi}=16` } });
  const children = await sh("ps", ["-o", "pid=", "--ppid", String(both.child.pid)]).catch(() => ({ stdout: "" }));
  expect(children.stdout.trim()).toBe("");
  expect(await both.stop()).toBe(0);
});
