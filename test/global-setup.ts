import { execFileSync } from "node:child_process";

/** Builds dist/ before any test file runs: the tests spawn the built CLI, as users run it (incremental, so quick when nothing changed). */
export default function setup(): void {
  execFileSync(process.execPath, ["node_modules/typescript/bin/tsc", "-p", "tsconfig.build.json"], { stdio: "inherit" });
}
