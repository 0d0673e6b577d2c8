// `npm run generate`: writes docs/operating.md's settings table and docs/zulip-auth.env from the options table.
import { readFileSync, writeFileSync } from "node:fs";
import { OPERATING_DOC, SETTINGS_FILE, settingsFile, settingsTable, withTable } from "./options-doc.ts";

writeFileSync(OPERATING_DOC, withTable(readFileSync(OPERATING_DOC, "utf8"), settingsTable()));
writeFileSync(SETTINGS_FILE, settingsFile());
console.log(`${OPERATING_DOC} (settings table), ${SETTINGS_FILE}: written from src/cli's options table`);
