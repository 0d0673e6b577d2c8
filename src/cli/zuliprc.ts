import { randomBytes } from "node:crypto";
import { constants } from "node:fs";
import { link, open, rename, unlink, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { basename, dirname, join } from "node:path";
import ini from "ini";

/** The `[api]` section of a zuliprc, as Zulip's clients (python-zulip-api, zulip-js, zulip-terminal) read it. */
export interface ZuliprcApi {
  email: string;
  key: string;
  site: string;
}

/** Why a zuliprc was not written. */
export interface ZuliprcError {
  code: "ZULIPRC_EXISTS" | "ZULIPRC_UNREPRESENTABLE" | "ZULIPRC_WRITE_FAILED";
  message: string;
}

/** Where Zulip's clients look for a zuliprc by default. */
export function defaultZuliprcPath(): string {
  return join(homedir(), ".zuliprc");
}

/**
 * The zuliprc text. Python's configparser (python-zulip-api) reads values verbatim while `ini` unquotes and
 * unescapes them, so a value that `ini` would have to quote or escape cannot mean the same to both: refused.
 */
function zuliprcText(api: ZuliprcApi): { data: string } | { error: ZuliprcError } {
  for (const [name, value] of Object.entries(api)) {
    if (ini.safe(value) !== value) {
      return {
        error: {
          code: "ZULIPRC_UNREPRESENTABLE",
          message: `the ${name} holds characters a zuliprc cannot store unambiguously (= ; # quotes, brackets, newlines or surrounding spaces)`,
        },
      };
    }
  }
  return { data: ini.stringify({ api: { email: api.email, key: api.key, site: api.site } }) };
}

/**
 * Writes a zuliprc readable by its owner only (0600). The file is written under a temporary name and then
 * moved into place, so it is never seen half-written or with wider permissions; without `force` an existing
 * file is kept (checked atomically by the link that puts the new file in place).
 */
export async function writeZuliprc(path: string, api: ZuliprcApi, options: { force: boolean }): Promise<{ data: { path: string } } | { error: ZuliprcError }> {
  const text = zuliprcText(api);
  if ("error" in text) return text;
  const temporary = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString("hex")}.tmp`);
  try {
    const handle = await open(temporary, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
    try {
      // The umask can only narrow 0600, but an explicit chmod leaves no doubt.
      await handle.chmod(0o600);
      await handle.writeFile(text.data, "utf8");
      await handle.sync();
    } finally {
      await handle.close();
    }
    if (options.force) {
      await rename(temporary, path);
    } else {
      await linkOrCreate(temporary, path, text.data);
      await unlink(temporary);
    }
    return { data: { path } };
  } catch (cause) {
    await unlink(temporary).catch(() => {});
    const code = (cause as NodeJS.ErrnoException).code;
    if (code === "EEXIST") return { error: { code: "ZULIPRC_EXISTS", message: `${path} exists already` } };
    return { error: { code: "ZULIPRC_WRITE_FAILED", message: `could not write ${path}: ${(cause as Error).message}` } };
  }
}

/** Puts the file at `path` unless one is there; without hard links (some file systems) it creates it exclusively. */
async function linkOrCreate(temporary: string, path: string, text: string): Promise<void> {
  try {
    await link(temporary, path);
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    if (code !== "EPERM" && code !== "ENOTSUP" && code !== "EXDEV") throw cause;
    await writeFile(path, text, { flag: "wx", mode: 0o600 });
  }
}
