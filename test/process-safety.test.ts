import { mkdtempSync } from "node:fs";
import http from "node:http";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Admin } from "../src/admin/admin.ts";
import { PasswordHasher } from "../src/auth/password-hasher.ts";
import { DEFAULT_PASSWORD_POLICY } from "../src/auth/password-policy.ts";
import { openSqliteStore } from "../src/store/sqlite.ts";
import { conformant, form } from "./helpers/harness.ts";
import { runCli, startServerProcess } from "./helpers/process.ts";

const CHEAP = ["--argon2", "m=1024,t=1,p=1"];
const OLD = { memoryCost: 2048, timeCost: 1, parallelism: 1 };

/** A database with the root organization and `n` users whose hashes the server will upgrade (a write) on login. */
async function seed(n: number): Promise<{ db: string; users: { email: string; password: string }[] }> {
  const db = join(mkdtempSync(join(tmpdir(), "zulip-auth-crash-")), "crash.sqlite");
  const store = await openSqliteStore(db);
  const admin = new Admin(store, new PasswordHasher(OLD), DEFAULT_PASSWORD_POLICY);
  await admin.addOrganization("", "Zulip Dev");
  const users = Array.from({ length: n }, (_, i) => ({ email: `user${i}@zulip.com`, password: `Pw-${i}-correct-horse` }));
  for (const u of users) await admin.addUser("", u.email, u.password);
  await store.close();
  return { db, users };
}

/** Every login rule off: these tests count what is kept, not what is refused. */
const NO_LIMITS = [
  ...["--rate-limit", "off", "--address-rate-limit", "off", "--user-rate-limit", "off"],
  ...["--success-rate-limit", "off", "--address-success-rate-limit", "off"],
];

describe("nothing lost on a crash", () => {
  it("after SIGKILL mid-burst, every user and key confirmed before the kill is there, unchanged", async () => {
    const { db, users } = await seed(12);
    const server = await startServerProcess(["serve", "--port", "0", "--db", db, ...NO_LIMITS, ...CHEAP]);
    const confirmedKeys = new Map<string, string>();
    const confirmedAdds: string[] = [];
    let killed = false;
    // The kill comes mid-burst: once both writers have had several writes confirmed (events, not a fixed wait).
    let midBurst!: () => void;
    const reached = new Promise<void>((resolve) => (midBurst = resolve));
    const progress = () => {
      if (confirmedKeys.size >= 6 && confirmedAdds.length >= 3) midBurst();
    };

    const logins = (async () => {
      for (let round = 0; !killed; round++) {
        const u = users[round % users.length]!;
        try {
          const r = await fetch(`${server.url}/api/v1/fetch_api_key`, form({ username: u.email, password: u.password }));
          const { status, body } = await conformant("fetch-api-key", r);
          if (status === 200) confirmedKeys.set(u.email, body.api_key as string);
          progress();
        } catch {
          return; // the server died under us: this attempt was never confirmed
        }
      }
    })();
    const adds = (async () => {
      for (let i = 0; !killed; i++) {
        const email = `added${i}@zulip.com`;
        const r = await runCli(["user", "add", email, "--password-stdin", "--db", db, ...CHEAP], { stdin: `Added-${i}-correct-horse` });
        if (r.code === 0) confirmedAdds.push(email);
        progress();
      }
    })();

    await reached;
    killed = true;
    expect(await server.stop("SIGKILL")).toBeNull(); // died by signal, no chance to clean up
    await Promise.all([logins, adds]);
    expect(confirmedKeys.size).toBeGreaterThan(0);
    expect(confirmedAdds.length).toBeGreaterThan(0);

    const restarted = await startServerProcess(["serve", "--port", "0", "--db", db, ...NO_LIMITS, ...CHEAP]);
    try {
      for (const [email, key] of confirmedKeys) {
        const u = users.find((x) => x.email === email)!;
        const r = await conformant("fetch-api-key", await fetch(`${restarted.url}/api/v1/fetch_api_key`, form({ username: email, password: u.password })));
        expect(r.status, email).toBe(200);
        expect(r.body.api_key, email).toBe(key);
      }
      const listed = JSON.parse((await runCli(["user", "list", "--json", "--db", db])).stdout) as { email: string }[];
      for (const email of confirmedAdds) expect(listed.map((u) => u.email)).toContain(email);
      for (const u of users) expect(listed.map((x) => x.email)).toContain(u.email);
    } finally {
      await restarted.stop();
    }
  }, 60_000);
});

/**
 * A login over a connection of its own that announces its body (`Expect: 100-continue`): `taken` resolves when
 * the server has taken the request (it says "100 Continue"), and `send()` sends the body then.
 */
function announcedLogin(url: string, fields: Record<string, string>): { taken: Promise<void>; send: () => void; answer: Promise<Response> } {
  const body = new URLSearchParams(fields).toString();
  const request = http.request(`${url}/api/v1/fetch_api_key`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded", "Content-Length": Buffer.byteLength(body), Expect: "100-continue" },
  });
  const taken = new Promise<void>((resolve) => request.once("continue", () => resolve()));
  const answer = new Promise<Response>((resolve, reject) => {
    request.on("error", reject);
    request.on("response", (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (d: Buffer) => chunks.push(d));
      res.on("end", () => {
        const headers = new Headers(Object.entries(res.headers).map(([k, v]): [string, string] => [k, String(v)]));
        resolve(new Response(Buffer.concat(chunks), { status: res.statusCode!, headers }));
      });
    });
  });
  request.flushHeaders();
  return { taken, send: () => request.end(body), answer };
}

describe("SIGTERM", () => {
  it("stops accepting, finishes the requests in flight, closes the database and exits 0", async () => {
    const { db, users } = await seed(1);
    // Requests in flight at the stop get up to the service timeout.
    const server = await startServerProcess(["serve", "--port", "0", "--db", db, ...NO_LIMITS, ...CHEAP, "--service-timeout", "60000"]);
    const u = users[0]!;
    const inFlight = Array.from({ length: 4 }, () => announcedLogin(server.url, { username: u.email, password: u.password }));
    // Every request taken, then the signal, and only once the server says it is stopping do their bodies go
    // out: each whole login (the hash, the database's reads and its write of the upgraded hash) runs during the stop.
    await Promise.all(inFlight.map((r) => r.taken));
    const exit = server.stop("SIGTERM");
    await server.waitForOutput(/"signal":"SIGTERM","msg":"stopping"/);
    for (const r of inFlight) r.send();
    for (const answer of await Promise.all(inFlight.map((r) => r.answer))) expect((await conformant("fetch-api-key", answer)).status).toBe(200);
    expect(await exit).toBe(0);
    await expect(fetch(`${server.url}/api/v1/server_settings`)).rejects.toThrow();
    // The database was closed cleanly: it opens and still holds the user.
    const store = await openSqliteStore(db);
    expect((await store.listUsers()).map((x) => x.email)).toEqual([u.email]);
    await store.close();
  }, 60_000);

  it("does not wait forever for a stalled client: it is cut off at the request timeout, then the server exits 0", async () => {
    const { db } = await seed(0);
    const server = await startServerProcess(["serve", "--port", "0", "--db", db, "--request-timeout", "1500", "--headers-timeout", "1000"]);
    const { port } = new URL(server.url);
    const socket = net.connect(Number(port), "127.0.0.1");
    await new Promise((r) => socket.once("connect", r));
    let received = "";
    socket.setEncoding("latin1");
    const taken = new Promise<void>((resolve) =>
      socket.on("data", (d: string) => {
        received += d;
        if (received.startsWith("HTTP/1.1 100 Continue\r\n\r\n")) resolve();
      }),
    );
    socket.write(
      "POST /api/v1/fetch_api_key HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\nExpect: 100-continue\r\n\r\n",
    );
    // The server has taken the request; its body stops short.
    await taken;
    socket.write("username=");
    const started = Date.now();
    expect(await server.stop("SIGTERM")).toBe(0);
    expect(Date.now() - started).toBeLessThan(10_000);
    socket.destroy();
  }, 30_000);
});
