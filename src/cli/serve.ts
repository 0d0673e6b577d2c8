import { Command } from "commander";
import { DEMO_SETTINGS, SERVE_SETTINGS } from "./serve-options.ts";
import { addSettings, valuesOf } from "./setting.ts";

/** `zulip-auth serve`: the login service on the configured database; its options are serve-options.ts's table. */
export function serveCommand(): Command {
  // The server's modules (database drivers, argon2, LDAP, Redis) load only when it runs.
  return addSettings(new Command("serve").description("run the login service"), SERVE_SETTINGS).action(async (_o: unknown, command: Command) => {
    await (await import("./node-flags.ts")).relaunchWithServerFlags();
    await (await import("./serve-run.ts")).serve(valuesOf(SERVE_SETTINGS, command));
  });
}

/** `zulip-auth demo`: a throwaway server seeded with one account per login answer (docs/demo.md). */
export function demoCommand(): Command {
  const command = new Command("demo").description(
    "run a throwaway demo server with one account per login answer, for client developers (dev mode and /docs on)",
  );
  return addSettings(command, DEMO_SETTINGS).action(async (_o: unknown, command: Command) => {
    await (await import("./node-flags.ts")).relaunchWithServerFlags();
    await (await import("./serve-run.ts")).demo(valuesOf(DEMO_SETTINGS, command));
  });
}
