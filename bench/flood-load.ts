// A load generator for the flood benchmark, in its own process: keeps `perAddress` logins in flight from each
// loopback address of `from` until it is stopped. Prints "flooding" once the first wave is sent, then every
// 100 ms one JSON line: the answers it got so far, by status.
import { Agent, request } from "node:http";
import { loginBody } from "./lib.ts";

const { url, from, perAddress, username, password } = JSON.parse(process.argv[2]!) as {
  url: string;
  from: string[];
  perAddress: number;
  username: string;
  /** A valid account's password, or none for wrong guesses. */
  password?: string;
};
let i = 0;
const counts: Record<number, number> = {};

function one(agent: Agent): void {
  const body = loginBody(username, password ?? `wrong-guess-${i++}`);
  const req = request(
    `${url}/api/v1/fetch_api_key`,
    { method: "POST", agent, headers: { "content-type": "application/x-www-form-urlencoded", "content-length": Buffer.byteLength(body) } },
    (res) => {
      res.resume();
      res.on("end", () => {
        counts[res.statusCode!] = (counts[res.statusCode!] ?? 0) + 1;
        one(agent);
      });
    },
  );
  req.on("error", () => setTimeout(() => one(agent), 10));
  req.end(body);
}
for (const localAddress of from) {
  const agent = new Agent({ keepAlive: true, maxSockets: perAddress, localAddress });
  for (let k = 0; k < perAddress; k++) one(agent);
}
process.stdout.write("flooding\n");
// The answers so far, every 100 ms: the last line before it is stopped (a signal handler's write may be cut).
setInterval(() => process.stdout.write(`${JSON.stringify(counts)}\n`), 100);
