/** The base path every operation of the contract lives under (kept apart from spec.ts so the client can import it without the YAML loader). */
export const API_BASE_PATH = "/api/v1";
