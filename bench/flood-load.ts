// A load generator for the flood benchmark, in its own process: keeps `concurrency` wrong-password logins in
// flight from one loopback address until it is stopped. Prints "flooding" once the first wave is sent.
import { Agent, request } from "node:http";
import { loginBody } from "./lib.ts";

const { url, from, concurrency, username } = JSON.parse(process.argv[2]!) as { url: string; from: string; concurrency: number; username: string };
const agent = new Agent({ keepAlive: true, maxSockets: concurrency, localAddress: from });
let i = 0;
const counts: Record<number, number> = {};

function one(): void {
  const body = loginBody(username, `wrong-guess-${i++}`);
  const req = request(
    `${url}/api/v1/fetch_api_key`,
    { method: "POST", agent, headers: { "content-type": "application/x-www-form-urlencoded", "content-length": Buffer.byteLength(body) } },
    (res) => {
      res.resume();
      res.on("end", () => {
        counts[res.statusCode!] = (counts[res.statusCode!] ?? 0) + 1;
        one();
      });
    },
  );
  req.on("error", () => setTimeout(one, 10));
  req.end(body);
}
for (let k = 0; k < concurrency; k++) one();
process.stdout.write("flooding\n");
process.on("SIGTERM", () => {
  process.stderr.write(JSON.stringify(counts) + "\n");
  process.exit(0);
});
