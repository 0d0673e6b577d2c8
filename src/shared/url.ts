/** The absolute URL `value` names, or undefined when it is not one (Node 20 has no URL.parse). */
export function parseUrl(value: string | URL): URL | undefined {
  try {
    return new URL(value);
  } catch {
    return undefined;
  }
}

/** Whether a URL is http or https: the only schemes a Zulip site, an icon or a public URL can have. */
export const isHttp = (url: URL): boolean => url.protocol === "http:" || url.protocol === "https:";

/** A service URL fit for logs and messages: scheme, host, port and path, without user, password or query. */
export function safeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname === "/" ? "" : u.pathname}`;
  } catch {
    return "(an unparsable URL)";
  }
}
