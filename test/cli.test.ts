import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { runCli } from "./helpers/process.ts";

describe("the zulip-auth operator CLI, as real processes", () => {
  let db: string;
  const cli = (args: string[], stdin?: string) => runCli([...args, "--db", db], stdin === undefined ? {} : { stdin });

  beforeAll(async () => {
    db = join(mkdtempSync(join(tmpdir(), "zulip-auth-cli-")), "test.sqlite");
    expect((await cli(["org", "add", "", "--name", "Zulip Dev"])).code).toBe(0);
  });

  it("creates organizations and lists them as JSON", async () => {
    const add = await cli(["org", "add", "lear", "--name", "Lear & Co."]);
    expect(add).toMatchObject({ code: 0 });
    expect(add.stdout).toContain('created organization "lear"');
    const list = await cli(["org", "list", "--json"]);
    expect(list.code).toBe(0);
    expect(JSON.parse(list.stdout)).toEqual([
      { subdomain: "", name: "Zulip Dev", active: true, password_auth: true, ldap_auth: false, icon_url: "default", description: "" },
      { subdomain: "lear", name: "Lear & Co.", active: true, password_auth: true, ldap_auth: false, icon_url: "default", description: "" },
    ]);
  });

  it("refuses a duplicate or malformed organization with exit 1 and one line", async () => {
    for (const args of [
      ["org", "add", "lear"],
      ["org", "add", "Bad_Name"],
      ["org", "deactivate", "nope"],
    ]) {
      const r = await cli(args);
      expect(r.code, args.join(" ")).toBe(1);
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
      expect(r.stderr).toMatch(/^zulip-auth: /);
    }
  });

  it("changes an organization's state", async () => {
    await cli(["org", "add", "tmp"]);
    expect((await cli(["org", "set", "tmp", "--password-auth", "off"])).code).toBe(0);
    expect((await cli(["org", "deactivate", "tmp"])).code).toBe(0);
    let row = JSON.parse((await cli(["org", "list", "--json"])).stdout).find((o: { subdomain: string }) => o.subdomain === "tmp");
    expect(row).toMatchObject({ active: false, password_auth: false });
    expect((await cli(["org", "reactivate", "tmp"])).code).toBe(0);
    row = JSON.parse((await cli(["org", "list", "--json"])).stdout).find((o: { subdomain: string }) => o.subdomain === "tmp");
    expect(row.active).toBe(true);
  });

  it("turns LDAP login on and off per organization, with or without password login", async () => {
    await cli(["org", "add", "ldap"]);
    const on = await cli(["org", "set", "ldap", "--ldap-auth", "on", "--password-auth", "off"]);
    expect(on).toMatchObject({ code: 0, stdout: 'organization "ldap": password login off, LDAP login on\n' });
    const row = () => cli(["org", "list", "--json"]).then((r) => JSON.parse(r.stdout).find((o: { subdomain: string }) => o.subdomain === "ldap"));
    expect(await row()).toMatchObject({ password_auth: false, ldap_auth: true });
    expect((await cli(["org", "set", "ldap", "--ldap-auth", "off"])).stdout).toBe('organization "ldap": LDAP login off\n');
    expect(await row()).toMatchObject({ password_auth: false, ldap_auth: false });
    const neither = await cli(["org", "set", "ldap"]);
    expect(neither.code).toBe(2);
    expect(neither.stderr).toContain("error: give at least one of --password-auth, --ldap-auth, --icon-url, --description");
  });

  it("sets the icon and the description clients show (server_settings' realm_icon and realm_description)", async () => {
    await cli(["org", "add", "brand"]);
    const set = await cli(["org", "set", "brand", "--icon-url", "https://cdn.example.com/brand.png", "--description", "<p>Brand &amp; Co.</p>"]);
    expect(set).toMatchObject({ code: 0, stdout: 'organization "brand": icon https://cdn.example.com/brand.png, description set\n' });
    const row = () => cli(["org", "list", "--json"]).then((r) => JSON.parse(r.stdout).find((o: { subdomain: string }) => o.subdomain === "brand"));
    expect(await row()).toMatchObject({ icon_url: "https://cdn.example.com/brand.png", description: "<p>Brand &amp; Co.</p>" });
    expect((await cli(["org", "set", "brand", "--icon-url", "/user_avatars/brand.png"])).code).toBe(0);
    expect(await row()).toMatchObject({ icon_url: "/user_avatars/brand.png" });
    expect((await cli(["org", "set", "brand", "--icon-url", "default"])).stdout).toBe('organization "brand": icon the server\'s default\n');
    expect(await row()).toMatchObject({ icon_url: "default" });
    for (const bad of ["ftp://example.com/x.png", "icon.png", "//evil.example/x.png"]) {
      const r = await cli(["org", "set", "brand", "--icon-url", bad]);
      expect(r.code, bad).toBe(2);
      expect(r.stderr, bad).toMatch(/icon|URL/);
    }
  });

  it("adds users with a password from stdin, never printing it or a key", async () => {
    const add = await cli(["user", "add", "iago@zulip.com", "--name", "Iago", "--password-stdin"], "Sup3r-secret-pass\n");
    expect(add.code).toBe(0);
    const dup = await cli(["user", "add", "IAGO@zulip.com", "--password-stdin"], "Sup3r-secret-pass\n");
    expect(dup.code).toBe(1);
    expect(dup.stderr).toContain("exists already");
    const list = await cli(["user", "list", "--json"]);
    const users = JSON.parse(list.stdout);
    expect(users).toEqual([{ id: 1, organization: "", email: "iago@zulip.com", name: "Iago", active: true }]);
    for (const r of [add, dup, list]) expect(r.stdout + r.stderr).not.toContain("Sup3r-secret-pass");
  });

  it("enforces the password policy on add and set-password", async () => {
    const weak = await cli(["user", "add", "weak@zulip.com", "--password-stdin"], "abcd1234\n");
    expect(weak.code).toBe(1);
    expect(weak.stderr).toContain("too easy to guess");
    expect(weak.stderr).not.toContain("abcd1234");
    const short = await cli(["user", "set-password", "iago@zulip.com", "--password-stdin"], "x1\n");
    expect(short.code).toBe(1);
    expect(short.stderr).toContain("at least 6 characters");
    expect((await cli(["user", "set-password", "iago@zulip.com", "--password-stdin"], "An0ther-good-one\n")).code).toBe(0);
  });

  it("deactivates, reactivates and regenerates keys, failing cleanly on unknown users", async () => {
    expect((await cli(["user", "deactivate", "iago@zulip.com"])).code).toBe(0);
    expect(JSON.parse((await cli(["user", "list", "--json"])).stdout)[0].active).toBe(false);
    expect((await cli(["user", "reactivate", "iago@zulip.com"])).code).toBe(0);
    const regen = await cli(["user", "regenerate-key", "iago@zulip.com"]);
    expect(regen.code).toBe(0);
    expect(regen.stdout).not.toMatch(/[A-Za-z0-9]{32}/);
    const unknown = await cli(["user", "deactivate", "nobody@zulip.com", "--org", "lear"]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe('zulip-auth: no user nobody@zulip.com in organization "lear"\n');
  });

  it("refuses a user whose email Zulip would never accept as a username", async () => {
    const r = await cli(["user", "add", "a@b", "--password-stdin"], "Sup3r-secret-pass\n");
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('zulip-auth: "a@b" is not a valid email address\n');
  });

  it.each([
    [["--rate-limit", "foo"], "--rate-limit"],
    [["--external-url", "chat.example.com"], "--external-url"],
    [["--external-url", "https://chat.example.com/zulip"], "--external-url"],
    [["--port", "99999"], "--port"],
    [["--argon2", "m=1"], "--argon2"],
    [["--dev", "maybe"], "--dev"],
  ])("serve %j exits 2 naming the option, before starting", async (args, option) => {
    const r = await runCli(["serve", ...args, "--db", db]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(option);
  });

  it("exits 2 on bad usage and 0 on --help", async () => {
    expect((await runCli(["org", "set", "lear", "--password-auth", "maybe"])).code).toBe(2);
    expect((await runCli(["frobnicate"])).code).toBe(2);
    expect((await runCli(["user", "add"])).code).toBe(2);
    const help = await runCli(["user", "add", "--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("--password-stdin");
  });

  it("refuses to read a password when there is no terminal and no --password-stdin (exit 2)", async () => {
    const r = await cli(["user", "add", "x@zulip.com"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--password-stdin");
  });

  it("takes the database from ZULIP_AUTH_DB", async () => {
    const r = await runCli(["org", "list", "--json"], { env: { ZULIP_AUTH_DB: db } });
    expect(JSON.parse(r.stdout).length).toBeGreaterThanOrEqual(2);
  });
});
