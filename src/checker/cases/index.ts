import { propertyCases } from "../properties/index.ts";
import type { CheckCase } from "./case.ts";
import { devFetchApiKeyCases } from "./dev-fetch-api-key.ts";
import { fetchApiKeyCases } from "./fetch-api-key.ts";
import { rateLimitCases } from "./rate-limit.ts";
import { serverSettingsCases } from "./server-settings.ts";

/**
 * Every case, in the order they run: the rate limit after the others, as it is the slowest and spends attempts;
 * the properties last, as they judge every answer of the run.
 */
export const CASES: readonly CheckCase[] = [...serverSettingsCases, ...fetchApiKeyCases, ...devFetchApiKeyCases, ...rateLimitCases, ...propertyCases];

/** The ids of every case. */
export const CASE_IDS: readonly string[] = CASES.map((c) => c.id);

export type { CheckCase };
