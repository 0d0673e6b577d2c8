import { once } from "node:events";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { conformant } from "./helpers/harness.ts";
import { runCli, startServerProcess } from "./helpers/process.ts";

// The demo's throwaway database lives in a folder of its own under the temporary folder: every way the demo
// ends removes it. Each run gets an empty TMPDIR of its own, so "removed" is "TMPDIR is empty again".

const made: string[] = [];
const emptyTmp = () => {
  const dir = mkdtempSync(join(tmpdir(), "zulip-auth-demo-tmp-"));
  made.push(dir);
  return dir;
};
// The test's own TMPDIRs, empty once each test has passed, go too.
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

describe("the demo's temporary folder is removed", () => {
  it.each(["SIGTERM", "SIGINT", "SIGHUP"] as const)("on %s (exit 0)", async (signal) => {
    const tmp = emptyTmp();
    const demo = await startServerProcess(["demo", "--port", "0"], { TMPDIR: tmp });
    expect(readdirSync(tmp)).toHaveLength(1);
    expect((await conformant("get-health", await fetch(`${demo.url}/healthz`))).status).toBe(200);
    expect(await demo.stop(signal)).toBe(0);
    expect(demo.output()).toContain(`"signal":"${signal}","msg":"stopping"`);
    expect(readdirSync(tmp)).toEqual([]);
  });

  it("when it cannot listen (the port is taken): one line naming the address, exit 1", async () => {
    const taken = createServer().listen(0, "127.0.0.1");
    await once(taken, "listening");
    const { port } = taken.address() as { port: number };
    try {
      const tmp = emptyTmp();
      const r = await runCli(["demo", "--port", String(port)], { env: { TMPDIR: tmp } });
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(
        `zulip-auth: cannot listen on 127.0.0.1:${port}: the address is already in use (another server, or another zulip-auth, listens there)\n`,
      );
      expect(readdirSync(tmp)).toEqual([]);
    } finally {
      taken.close();
    }
  });
});
