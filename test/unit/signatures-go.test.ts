/**
 * The Go behaviour the signature engine reproduces below notation: encoding/base64's errors,
 * encoding/pem's block rules, encoding/json's syntax errors (Unmarshal and Decoder), time
 * formatting, and the BER-to-DER conversion of tspclient-go.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync, sign } from 'node:crypto';
import { describe, test } from 'node:test';
import { pemDecode, rawUrlBase64Decode, stdBase64Decode } from '../../src/verifiers/signatures/goencoding.ts';
import { goDecodeFirst, goUnmarshal } from '../../src/verifiers/signatures/gojson.ts';
import {
  formatRFC1123Z,
  formatRFC3339,
  goTimeFromMs,
  goTimeString,
  parseRFC3339,
} from '../../src/verifiers/signatures/gotime.ts';
import { convertToDer } from '../../src/verifiers/signatures/timestamp.ts';
import { checkSignature } from '../../src/verifiers/signatures/x509.ts';

const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array) => new TextDecoder().decode(b);

describe('encoding/base64', () => {
  test('decodes, ignoring line breaks', () => {
    assert.equal(text(stdBase64Decode('YWJj\r\nZGVm')), 'abcdef');
    assert.equal(text(rawUrlBase64Decode('YWJjZA')), 'abcd');
  });
  test('names the offending byte as Go does', () => {
    assert.throws(() => stdBase64Decode('!!!!'), /^Error: illegal base64 data at input byte 0$/);
    assert.throws(() => stdBase64Decode('YW=j'), /^Error: illegal base64 data at input byte 2$/);
    assert.throws(() => stdBase64Decode('YWJjZA'), /^Error: illegal base64 data at input byte 4$/);
    assert.throws(() => rawUrlBase64Decode('YWJj='), /^Error: illegal base64 data at input byte 4$/);
    assert.throws(() => rawUrlBase64Decode('$YWJj'), /^Error: illegal base64 data at input byte 0$/);
    assert.throws(() => stdBase64Decode('YWJj\nYQ==x'), /^Error: illegal base64 data at input byte 9$/);
  });
});

describe('encoding/pem', () => {
  test('finds blocks after text, with CRLF line ends and headers, and skips broken ones', () => {
    const body = Buffer.from('hello').toString('base64');
    const data = bytes(
      `junk\r\n-----BEGIN X-----\r\nProc-Type: 4\r\n\r\n${body}\r\n-----END X-----\r\n-----BEGIN Y-----\n!!\n-----END Y-----\n-----BEGIN Z-----\n${body}\n-----END Z-----\n`,
    );
    const first = pemDecode(data)!;
    assert.equal(first.block.type, 'X');
    assert.equal(first.block.headers.get('Proc-Type'), '4');
    assert.equal(text(first.block.bytes), 'hello');
    const second = pemDecode(first.rest)!;
    assert.equal(second.block.type, 'Z');
    assert.equal(pemDecode(second.rest), undefined);
  });
  test('an END line of another type is not an end', () => {
    assert.equal(pemDecode(bytes('-----BEGIN A-----\naGk=\n-----END B-----\n')), undefined);
  });
});

describe('encoding/json syntax errors', () => {
  const err = (s: string) => {
    try {
      goUnmarshal(bytes(s));
    } catch (e) {
      return (e as Error).message;
    }
    return 'no error';
  };
  test('Unmarshal', () => {
    assert.equal(err('{"a":}'), "invalid character '}' looking for beginning of value");
    assert.equal(err('{"a" 1}'), "invalid character '1' after object key");
    assert.equal(err('{"a":1 "b":2}'), `invalid character '"' after object key:value pair`);
    assert.equal(err('[1,]'), "invalid character ']' looking for beginning of value");
    assert.equal(err('[1 2]'), "invalid character '2' after array element");
    assert.equal(err('{"a":1'), 'unexpected end of JSON input');
    assert.equal(err(''), 'unexpected end of JSON input');
    assert.equal(err('tru'), "invalid character ' ' in literal true (expecting 'e')");
    assert.equal(err('nul!'), "invalid character '!' in literal null (expecting 'l')");
    assert.equal(err('{} x'), "invalid character 'x' after top-level value");
    assert.equal(err('"\\x"'), "invalid character 'x' in string escape code");
    assert.equal(err('"\\u12g4"'), "invalid character 'g' in \\u hexadecimal character escape");
    assert.equal(err('-'), "invalid character ' ' in numeric literal");
    assert.equal(err('1.'), "invalid character ' ' after decimal point in numeric literal");
    assert.equal(err("'a'"), "invalid character '\\'' looking for beginning of value");
    assert.equal(err('{a:1}'), "invalid character 'a' looking for beginning of object key string");
    assert.equal(err('"a\tb"'), "invalid character '\\t' in string literal");
  });
  test('Decoder.Decode: one value, trailing data ignored, EOF texts', () => {
    assert.deepEqual(goDecodeFirst(bytes('{"a":1} trailing')), {
      kind: 'object',
      members: [['a', { kind: 'number', raw: '1' }]],
    });
    assert.throws(() => goDecodeFirst(bytes('  ')), /^Error: EOF$/);
    assert.throws(() => goDecodeFirst(bytes('{"a":tr')), /^Error: unexpected EOF$/);
  });
});

describe('time', () => {
  test('RFC 1123Z, RFC 3339 and String() as Go prints them', () => {
    const t = goTimeFromMs(Date.UTC(2022, 6, 29, 23, 59, 0));
    assert.equal(formatRFC1123Z(t), 'Fri, 29 Jul 2022 23:59:00 +0000');
    assert.equal(formatRFC3339(t), '2022-07-29T23:59:00Z');
    assert.equal(goTimeString(t), '2022-07-29 23:59:00 +0000 UTC');
    assert.equal(formatRFC1123Z(goTimeFromMs(Date.UTC(2095, 0, 1))), 'Sat, 01 Jan 2095 00:00:00 +0000');
  });
  test('a parsed offset is kept for printing', () => {
    const t = parseRFC3339('2022-07-29T16:59:00.5-07:00');
    assert.ok(!('error' in t));
    assert.equal(formatRFC1123Z(t), 'Fri, 29 Jul 2022 16:59:00 -0700');
    assert.equal(goTimeString(t), '2022-07-29 16:59:00.5 -0700 -0700');
    assert.equal(t.sec, Date.UTC(2022, 6, 29, 23, 59, 0) / 1000);
    assert.ok('error' in parseRFC3339('2022-02-30T00:00:00Z'));
  });
});

describe("tspclient-go's BER to DER conversion", () => {
  test('re-encodes long-form lengths minimally, keeps contents', () => {
    assert.deepEqual(
      [...convertToDer(Uint8Array.of(0x30, 0x81, 0x03, 0x02, 0x01, 0x05))],
      [0x30, 0x03, 0x02, 0x01, 0x05],
    );
  });
  test('its texts for truncated and indefinite-length input', () => {
    assert.throws(
      () => convertToDer(Uint8Array.of(0x30, 0x82, 0x01, 0x00, 0x02)),
      /^Error: asn1: syntax error: decoding BER length octets: long form length octets value should be less or equal to the subsequent octets length$/,
    );
    assert.throws(
      () => convertToDer(Uint8Array.of(0x30, 0x80, 0x00, 0x00)),
      /^Error: asn1: structure error: decoding BER length octets: indefinite length not supported$/,
    );
    assert.throws(() => convertToDer(new Uint8Array(0)), /BER-encoded ASN.1 data structures is empty/);
  });
});

describe('checkSignature remembers verdicts only for exactly the same inputs', () => {
  test('a signature that verifies does not verify other bytes, before or after it was checked', () => {
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const key = { kind: 'ecdsa', bitSize: 256, curve: 'P-256', key: publicKey } as const;
    const signed = Buffer.from('tbsCertificate bytes');
    const signature = sign('sha256', signed, { key: privateKey, dsaEncoding: 'der' });
    const other = Buffer.from('tbsCertificate bytez');
    assert.equal(
      checkSignature('ECDSA-SHA256', other, signature, key, false),
      'x509: ECDSA verification failure',
    );
    assert.equal(checkSignature('ECDSA-SHA256', signed, signature, key, false), undefined);
    assert.equal(checkSignature('ECDSA-SHA256', signed, signature, key, false), undefined);
    assert.equal(
      checkSignature('ECDSA-SHA256', other, signature, key, false),
      'x509: ECDSA verification failure',
    );
    // The same bytes under another algorithm or key are checked on their own.
    assert.match(checkSignature('SHA256-RSA', signed, signature, key, false)!, /specifies an RSA public key/);
    // Where one input ends and the next begins is part of the key: moving bytes from the signed
    // data to the end of the signature (a NUL between them) is another check, not a remembered one.
    const split = Buffer.from('abc\0def');
    const splitSignature = sign('sha256', split, { key: privateKey, dsaEncoding: 'der' });
    assert.equal(checkSignature('ECDSA-SHA256', split, splitSignature, key, false), undefined);
    const moved = Buffer.concat([splitSignature, Buffer.from('\0abc')]);
    assert.equal(
      checkSignature('ECDSA-SHA256', Buffer.from('def'), moved, key, false),
      'x509: ECDSA verification failure',
    );
    const stranger = { ...key, key: generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey };
    assert.equal(
      checkSignature('ECDSA-SHA256', signed, signature, stranger, false),
      'x509: ECDSA verification failure',
    );
  });
});
