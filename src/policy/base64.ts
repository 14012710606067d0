/** Strict, padded standard base64: exactly what the Bottlerocket API (Rust base64 STANDARD) accepts. */
import { CivError } from '../errors.ts';
import { Base64 } from 'js-base64';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

export interface Base64Problem {
  offset: number;
  message: string;
}

function describe(ch: string): string {
  const cp = ch.codePointAt(0)!;
  if (cp >= 0x21 && cp < 0x7f) return `'${ch}'`;
  return `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;
}

/** Returns the first problem, or undefined when the API would accept the string. */
export function checkStrictBase64(s: string): Base64Problem | undefined {
  if (s.length === 0) return { offset: 0, message: 'the base64 string is empty' };
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    if (ch === '=' || ALPHABET.includes(ch)) continue;
    let hint = '';
    if (ch === '-' || ch === '_')
      hint = ' (URL-safe base64 is not accepted; use the standard alphabet with + and /)';
    else if (/\s/.test(ch)) hint = ' (whitespace and line breaks are not accepted)';
    return { offset: i, message: `invalid character ${describe(ch)} at offset ${i}${hint}` };
  }
  const firstPad = s.indexOf('=');
  if (firstPad >= 0 && /[^=]/.test(s.slice(firstPad)))
    return { offset: firstPad, message: `padding '=' at offset ${firstPad} is followed by more data` };
  if (s.length % 4 !== 0) {
    return {
      offset: s.length,
      message: `length ${s.length} is not a multiple of 4${firstPad < 0 ? ' (missing "=" padding?)' : ''}`,
    };
  }
  const pads = firstPad < 0 ? 0 : s.length - firstPad;
  if (pads > 2) return { offset: firstPad, message: `too much padding at offset ${firstPad}` };
  if (pads > 0) {
    const lastIndex = s.length - pads - 1;
    const value = ALPHABET.indexOf(s[lastIndex]!);
    const unusedBits = pads === 2 ? 0x0f : 0x03;
    if ((value & unusedBits) !== 0)
      return {
        offset: lastIndex,
        message: `non-canonical last symbol ${describe(s[lastIndex]!)} at offset ${lastIndex}`,
      };
  }
  return undefined;
}

export function encodeBase64(bytes: Uint8Array): string {
  return Base64.fromUint8Array(bytes);
}

/** Decodes a string that checkStrictBase64 accepted. */
export function decodeBase64(s: string): Uint8Array {
  return Base64.toUint8Array(s);
}

/** Decodes one base64 string exactly as the API would, or explains the first offending position. */
export function strictDecode(value: string, what: string): Uint8Array {
  const problem = checkStrictBase64(value);
  if (problem)
    throw new CivError('E_INVALID_BASE64', `${what} is not base64 the API accepts: ${problem.message}`);
  return decodeBase64(value);
}
