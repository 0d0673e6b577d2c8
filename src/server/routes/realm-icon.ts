import type { Context } from "hono";

/** Where the server serves the icon of an organization whose operator set none (server_settings' realm_icon). */
export const DEFAULT_REALM_ICON_PATH = "/static/images/realm-icon.svg";

// A plain speech bubble: clients show realm_icon next to the login form, and a URL that does not load shows a
// broken image.
const ICON = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 128 128" width="128" height="128">
<rect width="128" height="128" rx="24" fill="#6492fe"/>
<path d="M32 36h64a8 8 0 0 1 8 8v36a8 8 0 0 1-8 8H60l-20 16v-16h-8a8 8 0 0 1-8-8V44a8 8 0 0 1 8-8z" fill="#fff"/>
</svg>
`;

/** GET (and HEAD) of the default organization icon. */
export function realmIcon() {
  return (c: Context) => c.body(ICON, 200, { "Content-Type": "image/svg+xml", "Cache-Control": "public, max-age=86400" });
}
