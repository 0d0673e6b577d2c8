#!/usr/bin/env node
// Runs the TypeScript sources through tsx, so a checkout works right after `npm ci` with no build step.
import { register } from "tsx/esm/api";
register();
const { run } = await import("../src/cli/main.ts");
// exitCode rather than exit(): output still being written to a pipe is not cut off.
process.exitCode = await run(process.argv.slice(2));
