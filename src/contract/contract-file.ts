/** Where the contract lives, relative to the package root (kept apart from spec.ts so the CLI's help needs no YAML loader). */
export const CONTRACT_FILE = "openapi/zulip-auth.yaml";
