/**
 * Text from the cluster or from input files is hostile to a terminal: an escape sequence in a
 * node's osImage can clear the screen, retitle the window, hide text or plant a link. What kposture
 * prints for a person (the table report, stderr lines) shows every control character as an escape
 * instead. Backslashes are left as they are: the result is for reading, not for parsing back.
 * JSON and SARIF are not passed through here (JSON.stringify escapes C0 controls itself).
 */

/** C0 controls (U+0000-U+001F), DEL (U+007F) and C1 controls (U+0080-U+009F). */
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;
const CONTROL_BUT_LF = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/g;
const NAMED: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function escape(ch: string): string {
  return NAMED[ch] ?? `\\x${ch.charCodeAt(0).toString(16).padStart(2, '0')}`;
}

/**
 * `text` with every control character shown as an escape: `\n`, `\r`, `\t`, else `\x1b`, `\x9b`,
 * `\x7f`. The result is one line that moves no cursor and changes no terminal state.
 */
export function visible(text: string): string {
  return text.replace(CONTROL, escape);
}

/** Like `visible`, but line feeds stay: for text made of lines, such as a stack trace or usage. */
export function visibleLines(text: string): string {
  return text.replace(CONTROL_BUT_LF, escape);
}
