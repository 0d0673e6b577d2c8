/** The paths the docs answer (outside /api/v1), kept apart so the app can route them without loading the docs. */
export const DOCS_PATHS = [
  "/openapi.yaml",
  "/openapi.json",
  "/openapi.zulip-level.yaml",
  "/openapi.zulip-level.json",
  "/docs",
  "/docs/",
  "/docs/:name",
] as const;
