// `npm run lint`, first step: the contract must be valid OpenAPI 3.1 per swagger-parser.
import SwaggerParser from "@apidevtools/swagger-parser";
import { CONTRACT_FILE, CONTRACT_PATH } from "../src/contract/spec.ts";

try {
  await SwaggerParser.validate(CONTRACT_PATH);
  console.log(`${CONTRACT_FILE}: valid OpenAPI (swagger-parser)`);
} catch (error) {
  console.error(`${CONTRACT_FILE}: ${(error as Error).message}`);
  process.exitCode = 1;
}
