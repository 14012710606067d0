/**
 * What the Bottlerocket API accepts as a trust policy (the settings model's ValidBase64Json,
 * once decoded): UTF-8 JSON of any shape that serde_json reads as a Value, at most 127 levels
 * deep. The one rule behind encode/set's refusals, lint's api/ findings and the simulator's 400s.
 */
import { isUtf8 } from 'node:buffer';
import { firstInvalidUtf8 } from './json.ts';
import { serdeFromStr } from './serde.ts';

export type AcceptanceProblem =
  | { kind: 'empty'; offset: 0; serdeMessage: string }
  | { kind: 'whitespace'; offset: number; serdeMessage: string }
  | { kind: 'bom'; offset: 0; serdeMessage: string }
  | { kind: 'utf8'; offset: number }
  | { kind: 'depth'; offset: number; serdeMessage: string }
  | { kind: 'json'; offset: number; serdeMessage: string };

/** serde_json's error for the bytes read as a Value, or undefined when it accepts them. */
export function apiJsonError(bytes: Uint8Array): string | undefined {
  const parsed = serdeFromStr(bytes, { t: 'value' }, { discardValues: true });
  return parsed.ok ? undefined : parsed.message;
}

/** The byte offset a serde "at line L column C" position names (columns count bytes). */
export function offsetOfSerdePosition(bytes: Uint8Array, message: string): number | undefined {
  const m = / at line (\d+) column (\d+)$/.exec(message);
  if (!m) return undefined;
  let line = 1;
  let i = 0;
  const wantLine = Number(m[1]);
  while (line < wantLine && i < bytes.length) if (bytes[i++] === 0x0a) line++;
  return Math.max(0, Math.min(bytes.length, i + Math.max(0, Number(m[2]) - 1)));
}

/**
 * The first reason the API would refuse these bytes, or undefined when it accepts them.
 * `jsonVouched`: a strict serde parse of the same bytes already succeeded within the depth limit.
 */
export function apiAcceptanceProblem(bytes: Uint8Array, jsonVouched = false): AcceptanceProblem | undefined {
  if (bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf)
    return { kind: 'bom', offset: 0, serdeMessage: 'expected value at line 1 column 1' };
  if (!isUtf8(bytes)) return { kind: 'utf8', offset: firstInvalidUtf8(bytes) };
  if (jsonVouched) return undefined;
  const error = apiJsonError(bytes);
  if (error === undefined) return undefined;
  const offset = offsetOfSerdePosition(bytes, error) ?? 0;
  if (bytes.length === 0) return { kind: 'empty', offset: 0, serdeMessage: error };
  if (error.startsWith('recursion limit exceeded')) return { kind: 'depth', offset, serdeMessage: error };
  if (/^EOF while parsing a value at line \d+ column \d+$/.test(error) && /^[ \t\r\n]*$/.test(latin1(bytes)))
    return { kind: 'whitespace', offset, serdeMessage: error };
  return { kind: 'json', offset, serdeMessage: error };
}

function latin1(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.length, 1 << 20)).toString('latin1');
}
