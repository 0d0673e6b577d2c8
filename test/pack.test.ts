import { execFile } from "node:child_process";
import { once } from "node:events";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runProcess, startProcess, type ServerProcess } from "./helpers/process.ts";

// The package as a user gets it: `npm pack`, then the tarball installed with --omit=dev into an empty project.
// Installing fetches the dependencies from the registry, hence the long hook timeout (no test here is timed).

const ROOT = resolve(".");
const sh = promisify(execFile);
const TSC = join(ROOT, "node_modules/typescript/bin/tsc");
const ESBUILD = join(ROOT, "node_modules/esbuild/bin/esbuild");

let project: string;
let demo: ServerProcess;

const inProject = (file: string, args: string[], env: Record<string, string | undefined> = {}) => runProcess(file, args, { cwd: project, env });
const npx = (args: string[], env: Record<string, string | undefined> = {}) => inProject("npx", ["--no-install", "zulip-auth", ...args], env);

beforeAll(async () => {
  const work = mkdtempSync(join(tmpdir(), "zulip-auth-pack-"));
  const { stdout } = await sh("npm", ["pack", "--silent", "--pack-destination", work], { cwd: ROOT });
  const tarball = join(work, stdout.trim().split("\n").pop()!);
  project = join(work, "consumer");
  mkdirSync(project);
  writeFileSync(join(project, "package.json"), JSON.stringify({ name: "consumer", version: "1.0.0", private: true }));
  await sh("npm", ["install", "--omit=dev", "--no-audit", "--no-fund", "--loglevel=error", tarball], { cwd: project });
  // `npx zulip-auth demo` as someone tries it; started in its own process group so it can be stopped the way a
  // terminal's Ctrl-C does (npx's own processes sit between us and the server).
  demo = await startProcess("npx", ["--no-install", "zulip-auth", "demo", "--port", "0"], { cwd: project, detached: true });
}, 600_000);

afterAll(async () => {
  if (demo?.child.pid !== undefined && demo.child.exitCode === null) {
    process.kill(-demo.child.pid, "SIGINT");
    await once(demo.child, "exit");
  }
});

describe("the packed tarball, installed with --omit=dev", () => {
  it("holds the build, the contract and no tests", () => {
    const installed = join(project, "node_modules/zulip-auth");
    expect(readdirSync(installed).sort()).toEqual(["LICENSE", "README.md", "dist", "generated", "openapi", "package.json", "src"]);
    expect(readdirSync(join(installed, "openapi"))).toEqual(["zulip-auth.yaml", "zulip-level.yaml"]);
    const pkg = JSON.parse(readFileSync(join(installed, "package.json"), "utf8"));
    expect(pkg.dependencies.tsx).toBeUndefined();
  });

  it("npx zulip-auth --version and --help", async () => {
    const version = await npx(["--version"]);
    expect(version).toMatchObject({ code: 0, stdout: "0.1.0\n" });
    const help = await npx(["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("Usage: zulip-auth [options] [command]");
  });

  it("npx zulip-auth demo answers server_settings", async () => {
    const r = await fetch(`${demo.url}/api/v1/server_settings`);
    expect(r.status).toBe(200);
    expect(await r.json()).toMatchObject({ result: "success", realm_name: "Zulip Dev", email_auth_enabled: true });
  });

  it("npx zulip-auth check finds the demo conformant", async () => {
    const r = await npx(["check", demo.url, "--username", "iago@zulip.com", "--password-env", "PW", "--json"], { PW: "abcd1234" });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).status).toBe("conformant");
  });

  it("zulip-auth/client loads with import and with require in plain Node, and logs in", async () => {
    const call = (load: string) =>
      `${load}
       const client = createZulipAuthClient({ baseUrl: process.argv[1] });
       client.fetchApiKey({ username: "iago@zulip.com", password: "abcd1234" }).then(({ data, error }) => {
         if (error) throw new Error(JSON.stringify(error));
         console.log(data.email);
       });`;
    const imported = await inProject(process.execPath, [
      "--input-type=module",
      "-e",
      call(`import { createZulipAuthClient } from "zulip-auth/client";`),
      demo.url,
    ]);
    expect(imported).toMatchObject({ code: 0, stdout: "iago@zulip.com\n" });
    const required = await inProject(process.execPath, [
      "--input-type=commonjs",
      "-e",
      call(`const { createZulipAuthClient } = require("zulip-auth/client");`),
      demo.url,
    ]);
    expect(required).toMatchObject({ code: 0, stdout: "iago@zulip.com\n" });
  });

  it("zulip-auth/checker runs checkServer from code (the contract is found in the installed package)", async () => {
    const script = `import { checkServer, exitCodeOf } from "zulip-auth/checker";
      const report = await checkServer({ baseUrl: process.argv[1], username: "iago@zulip.com", password: "abcd1234", only: ["server-settings.conforms"] });
      console.log(report.status, exitCodeOf(report), report.contract.file);`;
    const r = await inProject(process.execPath, ["--input-type=module", "-e", script, demo.url]);
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("conformant 0 openapi/zulip-auth.yaml\n");
  });

  it("TypeScript with moduleResolution NodeNext type-checks a call to client.fetchApiKey, and refuses a wrong one", async () => {
    writeFileSync(
      join(project, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: { module: "NodeNext", moduleResolution: "NodeNext", target: "ES2022", strict: true, noEmit: true, lib: ["ES2022", "DOM"], types: [] },
        files: ["login.mts"],
      }),
    );
    const good = `import { createZulipAuthClient } from "zulip-auth/client";
      const client = createZulipAuthClient({ baseUrl: "https://chat.example.com" });
      const { data, error } = await client.fetchApiKey({ username: "iago@zulip.com", password: "abcd1234" });
      if (error) throw new Error(error.code);
      const key: string = data.api_key;
      const id: number = data.user_id;
      console.log(key, id);
    `;
    writeFileSync(join(project, "login.mts"), good);
    expect(await inProject(process.execPath, [TSC, "-p", "."])).toMatchObject({ code: 0, stdout: "" });
    // The types are real: a field the contract does not have is an error.
    writeFileSync(join(project, "login.mts"), good.replace("data.user_id", "data.userId"));
    const bad = await inProject(process.execPath, [TSC, "-p", "."]);
    expect(bad.code).not.toBe(0);
    expect(bad.stdout).toContain("userId");
  });

  it("esbuild bundles zulip-auth/client for the browser, with nothing from Node", async () => {
    writeFileSync(
      join(project, "browser.js"),
      `import { createZulipAuthClient } from "zulip-auth/client";\nwindow.client = createZulipAuthClient({ baseUrl: location.origin });\n`,
    );
    const r = await inProject(ESBUILD, [
      "browser.js",
      "--bundle",
      "--platform=browser",
      "--format=esm",
      "--outfile=out/browser.js",
      "--metafile=out/meta.json",
      "--log-level=warning",
    ]);
    expect(r).toMatchObject({ code: 0, stderr: "" });
    const inputs = Object.keys(JSON.parse(readFileSync(join(project, "out/meta.json"), "utf8")).inputs as object);
    expect(inputs.some((i) => i.includes("zulip-auth/dist/src/client/"))).toBe(true);
    expect(inputs.filter((i) => i.startsWith("node:") || /\/src\/(server|store|auth|checker|cli)\//.test(i))).toEqual([]);
  });

  it("the documented production start, docs/zulip-auth.service's ExecStart, stops cleanly on SIGTERM", async () => {
    const unit = readFileSync(join(ROOT, "docs/zulip-auth.service"), "utf8");
    const execStart = /^ExecStart=(.+)$/m.exec(unit)![1]!.split(" ");
    const [bin, ...args] = execStart.map((part) => part.replace("/opt/zulip-auth", project));
    const db = join(project, "state", "zulip-auth.sqlite");
    const server = await startProcess(bin!, [...args, "--port", "0", "--db", db]);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    expect(await server.stop("SIGTERM")).toBe(0);
    expect(server.output()).toContain('"signal":"SIGTERM","msg":"stopping"');
    await expect(fetch(`${server.url}/healthz`)).rejects.toThrow();
  });
});

describe("the package's metadata", () => {
  it("attw --pack is clean (ESM only: Node ≥ 20.19 requires ES modules, so CommonJS resolution is not a separate build)", async () => {
    const r = await runProcess(
      process.execPath,
      [join(ROOT, "node_modules/@arethetypeswrong/cli/dist/index.js"), "--pack", ".", "--profile", "esm-only", "--format", "ascii"],
      { cwd: ROOT },
    );
    expect(r.code, r.stdout + r.stderr).toBe(0);
  });

  it("publint is clean", async () => {
    const r = await runProcess(process.execPath, [join(ROOT, "node_modules/publint/src/cli.js"), "--strict"], { cwd: ROOT });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain("All good!");
  });
});
