import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEMO_SCENARIOS, demoAnswer, demoCurl, demoHost, seedDemo } from "../admin/demo.ts";
import { OPERATIONS } from "../contract/operations.ts";
import { openSqliteStore } from "../store/sqlite.ts";

/** Creates a throwaway database in a new temporary folder, seeded with the demo scenario; returns its path and a cleanup. */
export async function createDemoDatabase(): Promise<{ db: string; cleanup: () => void }> {
  const dir = mkdtempSync(join(tmpdir(), "zulip-auth-demo-"));
  const db = join(dir, "demo.sqlite");
  const store = await openSqliteStore(db);
  try {
    await seedDemo(store);
  } finally {
    await store.close();
  }
  return { db, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** What the demo prints once it listens: the scenario table, one curl line per row, and where to go next. */
export function demoBanner(url: string, port: number): string {
  const rows = [["Host", "username", "answer"], ...DEMO_SCENARIOS.map((r) => [demoHost(r), r.username, `${demoAnswer(r)} (${r.why})`])];
  const widths = [0, 1].map((i) => Math.max(...rows.map((r) => r[i]!.length)));
  const table = rows.map((r) => `  ${r[0]!.padEnd(widths[0]!)}  ${r[1]!.padEnd(widths[1]!)}  ${r[2]}`).join("\n");
  const curls = DEMO_SCENARIOS.map((r) => `  ${demoCurl(r, port)}`).join("\n");
  return (
    `\nzulip-auth demo on ${url} (throwaway database, dev mode, root domain localhost)\n` +
    `one login per answer; every password is abcd1234 but hamlet's (public: never use them for real):\n\n${table}\n\n` +
    `try each row, in the same order (curl resolves *.localhost to this machine):\n${curls}\n\n` +
    `also: curl -s http://localhost:${port}${OPERATIONS.getServerSettings.url} (per organization: http://zephyr.localhost:${port}/…)\n` +
    `API reference: ${url}/docs\n\n`
  );
}
