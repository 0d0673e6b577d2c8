import { type RequestSpec, requestUrl, shownValue } from "./request.ts";

/** Quotes a word for a POSIX shell. */
function shellQuote(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * A curl command that sends the same request and prints the answer with its headers. Secrets are written as
 * their placeholders (`<password>`), so the command can be shared; put the real value in before running it.
 */
export function reproCurl(baseUrl: string, spec: RequestSpec): string {
  const words = ["curl", "-sS", "-i"];
  // -X HEAD would wait for a body that never comes; -I sends a HEAD.
  if (spec.method === "HEAD") words.push("-I");
  else if (spec.method !== "GET" || spec.body || spec.raw) words.push("-X", spec.method);
  words.push(requestUrl(baseUrl, spec, shownValue));
  for (const [name, value] of Object.entries(spec.headers ?? {})) words.push("-H", `${name}: ${value}`);
  const fields = spec.body?.fields.map(([k, v]) => [k, shownValue(v)] as const) ?? [];
  switch (spec.body?.kind) {
    case "form":
      for (const [k, v] of fields) words.push("--data-urlencode", `${k}=${v}`);
      break;
    case "multipart":
      // --form-string, not -F: -F reads a file for a value starting with < or @, as "<password>" does.
      for (const [k, v] of fields) words.push("--form-string", `${k}=${v}`);
      break;
    case "json":
      words.push("-H", "Content-Type: application/json", "--data-raw", JSON.stringify(Object.fromEntries(fields)));
      break;
  }
  if (spec.raw) words.push("-H", `Content-Type: ${spec.raw.contentType}`, "--data-binary", spec.raw.text);
  return words.map(shellQuote).join(" ");
}
