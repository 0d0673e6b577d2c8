import { execFile } from "node:child_process";
import { once } from "node:events";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SERVER_NODE_FLAGS } from "../src/cli/node-flags.ts";
import { runProcess, type ServerProcess, startProcess } from "./helpers/process.ts";

// The package as a user gets it: `npm pack`, then the tarball installed with --omit=dev into an empty project.
// Installing fetches the dependencies from the registry, hence the long hook timeout (no test here is timed).

const ROOT = resolve(".");
const sh = promisify(execFile);
const TSC = join(ROOT, "node_modules/typescript/bin/tsc");
const ESBUILD = join(ROOT, "node_modules/esbuild/bin/esbuild");

let project: string;
let clientProject: string;
let demo: ServerProcess;

const inProject = (file: string, args: string[], env: Record<string, string | undefined> = {}, cwd = project) => runProcess(file, args, { cwd, env });
const npx = (args: string[], env: Record<string, string | undefined> = {}) => inProject("npx", ["--no-install", "zulip-auth", ...args], env);

/** Packs a package of this repository (the root, or a workspace) and installs the tarball with --omit=dev into a new empty project. */
async function installPacked(work: string, name: string, workspace?: string): Promise<string> {
  const { stdout } = await sh("npm", ["pack", "--silent", "--pack-destination", work, ...(workspace ? ["--workspace", workspace] : [])], { cwd: ROOT });
  const tarball = join(work, stdout.trim().split("\n").pop()!);
  const dir = join(work, name);
  mkdirSync(dir);
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name, version: "1.0.0", private: true }));
  await sh("npm", ["install", "--omit=dev", "--no-audit", "--no-fund", "--loglevel=error", tarball], { cwd: dir });
  return dir;
}

/** Every package installed in a project's node_modules, with its folder. */
function installedPackages(dir: string): { name: string; path: string; manifest: Record<string, unknown> }[] {
  const found: { name: string; path: string; manifest: Record<string, unknown> }[] = [];
  const visit = (modules: string) => {
    if (!existsSync(modules)) return;
    for (const entry of readdirSync(modules)) {
      if (entry.startsWith(".")) continue;
      const folders = entry.startsWith("@") ? readdirSync(join(modules, entry)).map((e) => join(entry, e)) : [entry];
      for (const folder of folders) {
        const path = join(modules, folder);
        const manifest = JSON.parse(readFileSync(join(path, "package.json"), "utf8")) as Record<string, unknown>;
        found.push({ name: folder, path, manifest });
        visit(join(path, "node_modules"));
      }
    }
  };
  visit(join(dir, "node_modules"));
  return found;
}

/** Bytes of every file under a folder. */
function bytesUnder(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true }))
    if (entry.isFile()) total += statSync(join(entry.parentPath, entry.name)).size;
  return total;
}

/** The packages of a project that run a script when installed, or hold a native module. */
function installHooks(dir: string) {
  const scripts = (m: Record<string, unknown>) => (m.scripts ?? {}) as Record<string, string>;
  return {
    scripts: installedPackages(dir)
      .filter(({ manifest }) => ["preinstall", "install", "postinstall"].some((hook) => scripts(manifest)[hook]) || manifest.gypfile === true)
      .map((p) => p.name),
    native: installedPackages(dir)
      .filter(({ path }) => readdirSync(path, { recursive: true }).some((f) => String(f).endsWith(".node") || String(f).endsWith("binding.gyp")))
      .map((p) => p.name),
  };
}

beforeAll(async () => {
  const work = mkdtempSync(join(tmpdir(), "zulip-auth-pack-"));
  project = await installPacked(work, "consumer");
  clientProject = await installPacked(work, "client-consumer", "@zulip-auth/client");
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
  it("holds the build, the contract, the docs with the systemd unit, the changelog and no tests", () => {
    const installed = join(project, "node_modules/zulip-auth");
    expect(readdirSync(installed).sort()).toEqual(["CHANGELOG.md", "LICENSE", "README.md", "dist", "docs", "generated", "openapi", "package.json", "src"]);
    expect(readdirSync(join(installed, "openapi"))).toEqual(["zulip-auth.yaml", "zulip-level.yaml"]);
    expect(readdirSync(join(installed, "docs"))).toEqual(expect.arrayContaining(["operating.md", "zulip-auth.service", "zulip-auth.env"]));
    const pkg = JSON.parse(readFileSync(join(installed, "package.json"), "utf8"));
    expect(pkg.dependencies.tsx).toBeUndefined();
    // The README's links into docs/ resolve against the repository for someone reading it from the tarball.
    expect(pkg.repository.url).toMatch(/^git\+https:\/\//);
    expect(pkg.homepage).toMatch(/^https:\/\//);
    expect(pkg.bugs.url).toMatch(/^https:\/\//);
  });

  it("installs no package that runs an install script, nor swagger-ui-dist and its telemetry dependency", () => {
    const names = installedPackages(project).map((p) => p.name);
    expect(names).toContain("zulip-auth");
    expect(names.filter((n) => n === "@scarf/scarf" || n === "swagger-ui-dist")).toEqual([]);
    // The native modules (libsql, @node-rs/argon2) come prebuilt, as optional packages: none needs a script.
    expect(installHooks(project).scripts).toEqual([]);
  });

  it("npx zulip-auth --version and --help", async () => {
    const version = await npx(["--version"]);
    expect(version).toMatchObject({ code: 0, stdout: "0.1.0\n" });
    const help = await npx(["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("Usage: zulip-auth [options] [command]");
  });

  it("npx zulip-auth demo answers server_settings, and serves /docs' assets offline from the package", async () => {
    const r = await fetch(`${demo.url}/api/v1/server_settings`);
    expect(r.status).toBe(200);
    expect(await r.json()).toMatchObject({ result: "success", realm_name: "Zulip Dev", email_auth_enabled: true });
    const bundle = await fetch(`${demo.url}/docs/swagger-ui-bundle.js`);
    expect(bundle.status).toBe(200);
    expect((await bundle.text()).length).toBeGreaterThan(100_000);
  });

  it("npx zulip-auth check finds the demo conformant", async () => {
    const r = await npx(["check", demo.url, "--username", "iago@zulip.com", "--password-env", "PW", "--json"], { PW: "abcd1234" });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).status).toBe("conformant");
  });

  it("zulip-auth/checker runs checkServer from code (the contract is found in the installed package)", async () => {
    const script = `import { checkServer, exitCodeOf } from "zulip-auth/checker";
      const report = await checkServer({ baseUrl: process.argv[1], username: "iago@zulip.com", password: "abcd1234", only: ["server-settings.conforms"] });
      console.log(report.status, exitCodeOf(report), report.contract.file);`;
    const r = await inProject(process.execPath, ["--input-type=module", "-e", script, demo.url]);
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("conformant 0 openapi/zulip-auth.yaml\n");
  });

  it("the documented production start, docs/zulip-auth.service's ExecStart with its settings file, runs node directly and stops cleanly on SIGTERM", async () => {
    const unit = readFileSync(join(ROOT, "docs/zulip-auth.service"), "utf8");
    const [node, ...args] = /^ExecStart=(.+)$/m
      .exec(unit)![1]!
      .split(" ")
      .map((part) => part.replace("/opt/zulip-auth", project));
    // systemd's PATH has no nvm or npm prefix: node is named by its absolute path, with V8's flags.
    expect(node).toMatch(/^\/.+\/node$/);
    for (const flag of SERVER_NODE_FLAGS) expect(args).toContain(flag);
    // The example settings file of docs/operating.md, as the unit's EnvironmentFile and `--config` read it.
    const envFile = /^EnvironmentFile=-?(.+)$/m.exec(unit)![1]!;
    const settings = join(project, "zulip-auth.env");
    const db = join(project, "state", "zulip-auth.sqlite");
    writeFileSync(settings, readFileSync(join(ROOT, "docs/zulip-auth.env"), "utf8").replace("/var/lib/zulip-auth/zulip-auth.sqlite", db));
    expect(envFile).toMatch(/^\//);
    expect((await npx(["org", "add", "", "--config", settings])).code).toBe(0);
    const server = await startProcess(process.execPath, [...args, "--port", "0", "--config", settings]);
    // Started with V8's flags, the server runs in this very process: nothing to relaunch.
    const { stdout: children } = await sh("ps", ["-o", "pid=", "--ppid", String(server.child.pid)]).catch(() => ({ stdout: "" }));
    expect(children.trim()).toBe("");
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    expect(await server.stop("SIGTERM")).toBe(0);
    expect(server.output()).toContain('"signal":"SIGTERM","msg":"stopping"');
    expect(server.output()).not.toContain("no organization");
    await expect(fetch(`${server.url}/healthz`)).rejects.toThrow();
  });
});

describe("@zulip-auth/client's tarball, installed with --omit=dev into an empty project", () => {
  it("installs at most 5 packages and 2 MB, with no native module and no install script", () => {
    const packages = installedPackages(clientProject);
    expect(packages.map((p) => p.name)).toContain("@zulip-auth/client");
    expect(packages.length).toBeLessThanOrEqual(5);
    expect(bytesUnder(join(clientProject, "node_modules"))).toBeLessThanOrEqual(2 * 1024 * 1024);
    expect(installHooks(clientProject)).toEqual({ scripts: [], native: [] });
    const manifest = packages.find((p) => p.name === "@zulip-auth/client")!.manifest;
    expect(Object.keys(manifest.dependencies as object)).toEqual(["openapi-fetch"]);
  });
});

// The same client, from either package.
const CLIENTS = [
  { specifier: "zulip-auth/client", dir: () => project, source: "zulip-auth/dist/src/client/" },
  { specifier: "@zulip-auth/client", dir: () => clientProject, source: "@zulip-auth/client/dist/" },
];

describe.each(CLIENTS)("$specifier", ({ specifier, dir, source }) => {
  it("loads with import and with require in plain Node, and logs in", async () => {
    const call = (load: string) =>
      `${load}
       const client = createZulipAuthClient({ baseUrl: process.argv[1] });
       client.fetchApiKey({ username: "iago@zulip.com", password: "abcd1234" }).then(({ data, error }) => {
         if (error) throw new Error(JSON.stringify(error));
         console.log(data.email);
       });`;
    const imported = await inProject(
      process.execPath,
      ["--input-type=module", "-e", call(`import { createZulipAuthClient } from "${specifier}";`), demo.url],
      {},
      dir(),
    );
    expect(imported).toMatchObject({ code: 0, stdout: "iago@zulip.com\n" });
    const required = await inProject(
      process.execPath,
      ["--input-type=commonjs", "-e", call(`const { createZulipAuthClient } = require("${specifier}");`), demo.url],
      {},
      dir(),
    );
    expect(required).toMatchObject({ code: 0, stdout: "iago@zulip.com\n" });
  });

  it("TypeScript with moduleResolution NodeNext type-checks a call to client.fetchApiKey, and refuses a wrong one", async () => {
    writeFileSync(
      join(dir(), "tsconfig.json"),
      JSON.stringify({
        compilerOptions: { module: "NodeNext", moduleResolution: "NodeNext", target: "ES2022", strict: true, noEmit: true, lib: ["ES2022", "DOM"], types: [] },
        files: ["login.mts"],
      }),
    );
    const good = `import { createZulipAuthClient } from "${specifier}";
      const client = createZulipAuthClient({ baseUrl: "https://chat.example.com" });
      const { data, error } = await client.fetchApiKey({ username: "iago@zulip.com", password: "abcd1234" });
      if (error) throw new Error(error.code);
      const key: string = data.api_key;
      const id: number = data.user_id;
      console.log(key, id);
    `;
    writeFileSync(join(dir(), "login.mts"), good);
    expect(await inProject(process.execPath, [TSC, "-p", "."], {}, dir())).toMatchObject({ code: 0, stdout: "" });
    // The types are real: a field the contract does not have is an error.
    writeFileSync(join(dir(), "login.mts"), good.replace("data.user_id", "data.userId"));
    const bad = await inProject(process.execPath, [TSC, "-p", "."], {}, dir());
    expect(bad.code).not.toBe(0);
    expect(bad.stdout).toContain("userId");
  });

  it("esbuild bundles it for the browser, with nothing from Node", async () => {
    writeFileSync(
      join(dir(), "browser.js"),
      `import { createZulipAuthClient } from "${specifier}";\nwindow.client = createZulipAuthClient({ baseUrl: location.origin });\n`,
    );
    const r = await inProject(
      ESBUILD,
      ["browser.js", "--bundle", "--platform=browser", "--format=esm", "--outfile=out/browser.js", "--metafile=out/meta.json", "--log-level=warning"],
      {},
      dir(),
    );
    expect(r).toMatchObject({ code: 0, stderr: "" });
    const inputs = Object.keys(JSON.parse(readFileSync(join(dir(), "out/meta.json"), "utf8")).inputs as object);
    expect(inputs.some((i) => i.includes(source))).toBe(true);
    expect(inputs.filter((i) => i.startsWith("node:") || /\/src\/(server|store|auth|checker|cli)\//.test(i))).toEqual([]);
  });
});

describe.each([
  { name: "zulip-auth", dir: "." },
  { name: "@zulip-auth/client", dir: "packages/client" },
])("$name's metadata", ({ dir }) => {
  it("attw --pack is clean (ESM only: Node ≥ 20.19 requires ES modules, so CommonJS resolution is not a separate build)", async () => {
    const r = await runProcess(
      process.execPath,
      [join(ROOT, "node_modules/@arethetypeswrong/cli/dist/index.js"), "--pack", dir, "--profile", "esm-only", "--format", "ascii"],
      { cwd: ROOT },
    );
    expect(r.code, r.stdout + r.stderr).toBe(0);
  });

  it("publint is clean", async () => {
    const r = await runProcess(process.execPath, [join(ROOT, "node_modules/publint/src/cli.js"), dir, "--strict"], { cwd: ROOT });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain("All good!");
  });
});
