// `npm run generate`, last step: writes the contract's Zulip level as a file of its own (see scripts/zulip-level.ts).
import { readFileSync, writeFileSync } from "node:fs";
import { CONTRACT_FILE } from "../src/contract/spec.ts";
import { ZULIP_LEVEL_FILE, zulipLevelYaml } from "./zulip-level.ts";

writeFileSync(ZULIP_LEVEL_FILE, zulipLevelYaml(readFileSync(CONTRACT_FILE, "utf8")));
console.log(`${ZULIP_LEVEL_FILE}: written from ${CONTRACT_FILE}`);
