/** The base path every operation of the contract lives under (apart from spec.ts: the client and the CLI's help need no YAML loader). */
export const API_BASE_PATH = "/api/v1";

/** Where the contract lives, relative to the package root. */
export const CONTRACT_FILE = "openapi/zulip-auth.yaml";
