// `npm run fuzz [-- --runs N --seed S]`: sends N (default 10 000) generated malformed requests to an in-process
// server and prints how many ran and how many failed (a 5xx or any answer the contract does not allow).
import { parseArgs } from "node:util";
import fc from "fast-check";
import { answerProblems, describeRequest, fuzzRequest, toRequest } from "../test/helpers/fuzz.ts";
import { createTestServer } from "../test/helpers/test-server.ts";

const { values } = parseArgs({ options: { runs: { type: "string", default: "10000" }, seed: { type: "string" } } });
const runs = Number(values.runs);
const seed = values.seed === undefined ? Date.now() % 2 ** 31 : Number(values.seed);
const server = await createTestServer({ limits: {} });

let ran = 0;
const failures: string[] = [];
const started = performance.now();
const BATCH = 500;
for (let offset = 0; offset < runs; offset += BATCH) {
  const batch = fc.sample(fuzzRequest, { numRuns: Math.min(BATCH, runs - offset), seed: seed + offset });
  for (const r of batch) {
    ran++;
    try {
      const problems = await answerProblems(r, await server.app.fetch(toRequest(r)));
      if (problems.length > 0) failures.push(`${describeRequest(r)}\n    ${problems.join("\n    ")}`);
    } catch (error) {
      failures.push(`${describeRequest(r)}\n    threw ${(error as Error).message}`);
    }
  }
  process.stderr.write(`\r${ran}/${runs}`);
}
process.stderr.write("\n");
for (const f of failures.slice(0, 20)) console.log(`FAIL ${f}`);
console.log(`fuzz: ${ran} requests, ${failures.length} failed (seed ${seed}, ${((performance.now() - started) / 1000).toFixed(1)} s)`);
process.exitCode = failures.length > 0 ? 1 : 0;
