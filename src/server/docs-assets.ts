import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);

/** swagger-ui-dist's files that /docs uses, with their media types; nothing else of the package is served. */
const FILES: Record<string, string> = {
  "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
  "swagger-ui.css": "text/css; charset=utf-8",
  "swagger-ui.css.map": "application/json; charset=utf-8",
  "index.css": "text/css; charset=utf-8",
  "favicon-32x32.png": "image/png",
  "favicon-16x16.png": "image/png",
};

/** One file of the installed swagger-ui-dist, read on first use. */
export interface DocsAsset {
  body: Uint8Array<ArrayBuffer>;
  contentType: string;
}

const cache = new Map<string, DocsAsset>();

/** The asset called `name`, or undefined for a name that is not on the list. */
export function docsAsset(name: string): DocsAsset | undefined {
  const contentType = Object.hasOwn(FILES, name) ? FILES[name] : undefined;
  if (!contentType) return undefined;
  let asset = cache.get(name);
  if (!asset) {
    // Resolved through Node's module resolution, so it is the package npm installed wherever node_modules is.
    asset = { body: new Uint8Array(readFileSync(require.resolve(`swagger-ui-dist/${name}`))), contentType };
    cache.set(name, asset);
  }
  return asset;
}
