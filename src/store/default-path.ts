import { homedir } from "node:os";
import { join } from "node:path";

/**
 * Where the SQLite database lives unless --db or ZULIP_AUTH_DB says otherwise: the user's data folder
 * (XDG_DATA_HOME, else ~/.local/share), never the current folder, so `org list` run from elsewhere sees the
 * same data as `serve`.
 */
export function defaultSqlitePath(env: NodeJS.ProcessEnv = process.env): string {
  const dataHome = env.XDG_DATA_HOME?.startsWith("/") ? env.XDG_DATA_HOME : join(homedir(), ".local", "share");
  return join(dataHome, "zulip-auth", "zulip-auth.sqlite");
}
