// DEL, C1 controls, and the Unicode marks that reorder or hide text: JSON.stringify writes them as they are.
const UNESCAPED_BY_JSON = "\\u007f-\\u009f\\u061c\\u200b-\\u200f\\u2028-\\u202e\\u2060-\\u2069\\ufeff";
// Those, C0 controls, and the backslash that introduces their escapes.
const INVISIBLE = new RegExp(`[\\\\\\u0000-\\u001f${UNESCAPED_BY_JSON}]`, "g");
const INVISIBLE_IN_JSON = new RegExp(`[${UNESCAPED_BY_JSON}]`, "g");

/**
 * Text for a terminal: every control character and invisible or reordering mark is shown as an escape (`\x1b`,
 * `\u202e`) and a backslash as `\\`, so a value a client chose (a username) cannot forge a line, move the cursor
 * or send the terminal an escape sequence.
 */
export function visible(text: string): string {
  return text.replace(INVISIBLE, (ch) => {
    if (ch === "\\") return "\\\\";
    const code = ch.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u${code.toString(16).padStart(4, "0")}`;
  });
}

/**
 * `value` as indented JSON that is also safe on a terminal: JSON escapes C0 controls only, so the rest of what
 * visible escapes is written as `\uXXXX` escapes too (the same value to a JSON reader).
 */
export function visibleJson(value: unknown): string {
  return JSON.stringify(value, null, 2).replace(INVISIBLE_IN_JSON, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, "0")}`);
}
