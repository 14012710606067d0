/** Making untrusted text safe to show: control characters and escape sequences become visible. */

/** C0 and C1 controls, DEL, line/paragraph separators and bidi overrides: what can move a cursor or reorder text. */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** For text output: controls become \t, \n, \r, \xNN or \uNNNN. */
export function terminalSafe(text: string): string {
  return text.replace(UNSAFE, (ch) => {
    const cp = ch.charCodeAt(0);
    if (ch === '\t') return '\\t';
    if (ch === '\n') return '\\n';
    if (ch === '\r') return '\\r';
    return cp < 0x100 ? `\\x${cp.toString(16).padStart(2, '0')}` : `\\u${cp.toString(16).padStart(4, '0')}`;
  });
}

/** The UNSAFE characters that JSON.stringify leaves raw (it escapes C0 controls itself). */
const UNSAFE_IN_JSON = /[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/**
 * JSON text (from JSON.stringify or prettyJson) with the same characters escaped as \uNNNN: such
 * a character can only stand inside a string there, where the escape means the same.
 */
export function escapeJsonText(json: string): string {
  return json.replace(UNSAFE_IN_JSON, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** JSON.stringify, safe to show on a terminal. */
export function safeJson(value: unknown, indent?: number): string {
  return escapeJsonText(JSON.stringify(value, null, indent));
}
