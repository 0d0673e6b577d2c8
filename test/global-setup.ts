import { execFileSync } from "node:child_process";

/**
 * Builds what the tests run before any test file starts: dist/ (the tests spawn the built CLI, as users run it;
 * incremental, so quick when nothing changed) and /docs' assets beside it.
 */
export default function setup(): void {
  execFileSync(process.execPath, ["node_modules/typescript/bin/tsc", "-p", "tsconfig.build.json"], { stdio: "inherit" });
  execFileSync(process.execPath, ["--import", "tsx", "scripts/copy-swagger-ui.ts"], { stdio: "inherit" });
}
