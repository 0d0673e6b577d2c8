// Control characters (C0, DEL, C1), and the Unicode marks that reorder or hide text, with the backslash that
// introduces their escapes.
const INVISIBLE = /[\\\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g;

/**
 * Text for a terminal: every control character and invisible or reordering mark is shown as an escape (`\x1b`,
 * `\u202e`) and a backslash as `\\`, so a value a client chose (a username) cannot forge a line, move the cursor
 * or send the terminal an escape sequence. JSON output needs none of this: it escapes them itself.
 */
export function visible(text: string): string {
  return text.replace(INVISIBLE, (ch) => {
    if (ch === "\\") return "\\\\";
    const code = ch.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u${code.toString(16).padStart(4, "0")}`;
  });
}
