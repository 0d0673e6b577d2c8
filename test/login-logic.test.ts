import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import ini from "ini";
import { describe, expect, it } from "vitest";
import { checkSite } from "../src/cli/login-site.ts";
import { writeZuliprc } from "../src/cli/zuliprc.ts";
import { createZulipAuthClient } from "../src/client/client.ts";
import { createTestServer } from "./helpers/harness.ts";
import { serveOverHttp } from "./helpers/http.ts";
import { testLdapBackend } from "./helpers/ldap.ts";

const api = { email: "iago@zulip.com", key: "gjA04ZYcqXKalvYMA8OeXSfzUOLrtbZv", site: "https://chat.example.com" };

describe("writeZuliprc", () => {
  const dir = () => mkdtempSync(join(tmpdir(), "zulip-auth-rc-"));

  it("writes an [api] section an INI parser reads back, mode 0600, leaving no temporary file", async () => {
    const d = dir();
    const path = join(d, "zuliprc");
    expect(await writeZuliprc(path, api, { force: false })).toEqual({ data: { path } });
    expect(ini.parse(readFileSync(path, "utf8"))).toEqual({ api });
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readdirSync(d)).toEqual(["zuliprc"]);
  });

  it("keeps an existing file unless forced", async () => {
    const d = dir();
    const path = join(d, "zuliprc");
    writeFileSync(path, "mine\n");
    expect(await writeZuliprc(path, api, { force: false })).toMatchObject({ error: { code: "ZULIPRC_EXISTS" } });
    expect(readFileSync(path, "utf8")).toBe("mine\n");
    expect(readdirSync(d)).toEqual(["zuliprc"]);
    expect(await writeZuliprc(path, api, { force: true })).toEqual({ data: { path } });
    expect(ini.parse(readFileSync(path, "utf8")).api).toEqual(api);
  });

  it("refuses values that INI readers would read differently, and reports a folder that is not there", async () => {
    const d = dir();
    for (const email of ["a=b@example.com", "a;b@example.com", " iago@zulip.com", "[x]@example.com"]) {
      const result = await writeZuliprc(join(d, "zuliprc"), { ...api, email }, { force: false });
      expect(result, email).toMatchObject({ error: { code: "ZULIPRC_UNREPRESENTABLE" } });
      expect(JSON.stringify(result)).not.toContain(api.key);
    }
    expect(await writeZuliprc(join(d, "missing", "zuliprc"), api, { force: false })).toMatchObject({ error: { code: "ZULIPRC_WRITE_FAILED" } });
    expect(readdirSync(d)).toEqual([]);
  });
});

describe("checkSite", () => {
  it("accepts an organization with LDAP login only (Zulip's clients show the password form for it)", async () => {
    // server_settings only reads the settings: the directory is never contacted here.
    const t = await createTestServer({ ldap: testLdapBackend("ldap://127.0.0.1:9") });
    await t.admin.setOrganization("", { email_auth_enabled: 0, ldap_auth_enabled: 1 });
    const http = await serveOverHttp(t.app.fetch);
    try {
      expect(await checkSite(createZulipAuthClient({ baseUrl: http.url }))).toEqual({
        data: { name: "Zulip Dev", url: http.url, zulipVersion: expect.stringMatching(/^\d+\.\d+/) },
      });
      expect(http.answers.map((a) => a.violations)).toEqual([[]]);
    } finally {
      await http.close();
    }
  });
});
