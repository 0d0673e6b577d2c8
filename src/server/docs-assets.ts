import { readFileSync } from "node:fs";
import { join } from "node:path";
import { packageRoot } from "../shared/package-root.ts";

/**
 * swagger-ui-dist's files that /docs uses, with their media types; nothing else of the package is served.
 * The build copies them into dist/swagger-ui/ (scripts/copy-swagger-ui.ts), so the published package ships
 * them and swagger-ui-dist is only a development dependency: installing zulip-auth never installs it, nor the
 * telemetry install script of its dependency @scarf/scarf.
 */
export const DOCS_ASSET_FILES: Readonly<Record<string, string>> = {
  "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
  "swagger-ui.css": "text/css; charset=utf-8",
  "swagger-ui.css.map": "application/json; charset=utf-8",
  "index.css": "text/css; charset=utf-8",
  "favicon-32x32.png": "image/png",
  "favicon-16x16.png": "image/png",
};

/** Where the build puts them, relative to the package root. */
export const DOCS_ASSET_DIR = "dist/swagger-ui";

/** One file of /docs' assets, read on first use. */
export interface DocsAsset {
  body: Uint8Array<ArrayBuffer>;
  contentType: string;
}

const cache = new Map<string, DocsAsset>();

/** The asset called `name`, or undefined for a name that is not on the list. */
export function docsAsset(name: string): DocsAsset | undefined {
  const contentType = Object.hasOwn(DOCS_ASSET_FILES, name) ? DOCS_ASSET_FILES[name] : undefined;
  if (!contentType) return undefined;
  let asset = cache.get(name);
  if (!asset) {
    asset = { body: new Uint8Array(readFileSync(join(packageRoot(), DOCS_ASSET_DIR, name))), contentType };
    cache.set(name, asset);
  }
  return asset;
}
