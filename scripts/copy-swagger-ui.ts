// Part of `npm run build`: copies the files /docs serves from the swagger-ui-dist development dependency into
// dist/swagger-ui/, which the package ships (src/server/docs-assets.ts says why).
import { copyFileSync, mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { DOCS_ASSET_DIR, DOCS_ASSET_FILES } from "../src/server/docs-assets.ts";
import { packageRoot } from "../src/shared/package-root.ts";

const require = createRequire(import.meta.url);
const target = join(packageRoot(), DOCS_ASSET_DIR);
mkdirSync(target, { recursive: true });
// Redistributed with their licence and notices (Apache-2.0), which are copied but not served.
const NOTICES = ["LICENSE", "NOTICE", "swagger-ui-bundle.js.LICENSE.txt"];
for (const name of [...Object.keys(DOCS_ASSET_FILES), ...NOTICES]) copyFileSync(require.resolve(`swagger-ui-dist/${name}`), join(target, name));
