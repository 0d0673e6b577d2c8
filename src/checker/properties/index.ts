import type { CheckCase } from "../cases/case.ts";
import { identityStable } from "./identity-stable.ts";
import { nothingEchoed } from "./nothing-echoed.ts";
import { readableBytes } from "./readable-bytes.ts";

/** The properties judged over the whole run, after every case. */
export const propertyCases: CheckCase[] = [identityStable, readableBytes, nothingEchoed];
