import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import ini from "ini";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { conformant, form } from "./helpers/harness.ts";
import { BIN, type ServerProcess, startServerProcess } from "./helpers/process.ts";

// util-linux's `script` runs the command on a pseudo-terminal, as a person at a terminal would.
const hasScript = spawnSync("script", ["--version"]).status === 0;
const mustRun = process.env.CI === "true";

/** Runs `zulip-auth login` on a pseudo-terminal and types `keys` (a password and Enter, or Ctrl-C) once the prompt shows. */
function loginOnTerminal(args: string[], keys: string): Promise<{ code: number | null; screen: string }> {
  const command = [process.execPath, BIN, "login", ...args].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(" ");
  const child = spawn("script", ["-qefc", command, "/dev/null"], { stdio: ["pipe", "pipe", "pipe"] });
  let screen = "";
  let typed = false;
  const onOutput = (chunk: Buffer) => {
    screen += chunk;
    if (!typed && /Password for .*: $/.test(screen)) {
      typed = true;
      // Typed as soon as the prompt shows (echo is off by then); Enter sends a carriage return.
      child.stdin.write(keys);
    }
  };
  child.stdout.on("data", onOutput);
  child.stderr.on("data", onOutput);
  return new Promise((resolve) => child.on("close", (code) => resolve({ code, screen })));
}

describe.skipIf(!hasScript && !mustRun)(`zulip-auth login at a terminal${hasScript ? "" : " (skipped: util-linux script is not installed)"}`, () => {
  let demo: ServerProcess;
  beforeAll(async () => {
    demo = await startServerProcess(["demo", "--port", "0"]);
  });
  afterAll(async () => {
    await demo.stop();
  });

  it("prompts for the password without echo and writes the key the server returns", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "zulip-auth-tty-")), "zuliprc");
    const { code, screen } = await loginOnTerminal([demo.url, "--username", "iago@zulip.com", "--zuliprc", path], "abcd1234\r");
    expect(screen).toContain("Password for iago@zulip.com: ");
    expect(screen, "the password is not echoed").not.toContain("abcd1234");
    expect(code).toBe(0);
    const served = await conformant<{ api_key: string }>(
      "fetch-api-key",
      await fetch(`${demo.url}/api/v1/fetch_api_key`, form({ username: "iago@zulip.com", password: "abcd1234" })),
    );
    expect(ini.parse(readFileSync(path, "utf8"))).toEqual({ api: { email: "iago@zulip.com", key: served.body.api_key, site: demo.url } });
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(screen).not.toContain(served.body.api_key);
  });

  it("Ctrl-C at the prompt ends it as an interrupt (exit 130), with no usage hint and no zuliprc", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "zulip-auth-tty-")), "zuliprc");
    const { code, screen } = await loginOnTerminal([demo.url, "--username", "iago@zulip.com", "--zuliprc", path], "\x03");
    expect(code).toBe(130);
    expect(screen).toContain("cancelled");
    expect(screen).not.toContain("--help");
    expect(existsSync(path)).toBe(false);
  });
});
