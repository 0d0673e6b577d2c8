#!/usr/bin/env node
// The `zulip-auth` executable (dist/src/cli/bin.js once built): main.ts loads only what the command needs.
import { endQuietlyOnClosedPipe } from "./closed-pipe.ts";
import { run } from "./main.ts";

endQuietlyOnClosedPipe();
// exitCode rather than exit(): output still being written to a pipe is not cut off.
process.exitCode = await run(process.argv.slice(2));
