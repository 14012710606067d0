/**
 * JWS envelopes (`application/jose+json`) as notation-core-go v1.3.0 reads and verifies them
 * (signature/jws: envelope.go, jws.go, jwt.go, types.go), with golang-jwt v4.5.2's Parse for the
 * signature check: JSON flattened serialization, x5c leaf key, PS256/384/512 with the salt length
 * found from the signature (rsa.PSSSaltLengthAuto), ES256/384/512 as r‖s of the algorithm's size.
 * The `jose` package verifies JWS too, but not with jwt's rules and texts, so the parse and checks
 * are made here and only the mathematics is Node's crypto.
 */
import { constants, verify as nodeVerify } from 'node:crypto';
import { goQuote } from '../../policy/notation/goquote.ts';
import { ecdsaRsToDer } from './der.ts';
import {
  type Attribute,
  type EnvelopeContent,
  SIGNING_SCHEME_X509,
  SIGNING_SCHEME_X509_SIGNING_AUTHORITY,
} from './envelope.ts';
import { rawUrlBase64Decode, stdBase64Decode } from './goencoding.ts';
import {
  type GoJson,
  GoJsonError,
  goDecodeFirst,
  goUnmarshal,
  jsonKindName,
  stringField,
  structFields,
  TypeErrors,
} from './gojson.ts';
import { type GoTime, isZero, parseRFC3339 } from './gotime.ts';
import { type GoPublicKey, parseCertificate } from './x509.ts';

interface JwsEnvelope {
  payload: string;
  protected: string;
  signature: string;
  x5c: Uint8Array[];
  timestampSignature: Uint8Array;
  signingAgent: string;
}

/** json.Unmarshal of a []byte field: a base64 string, or null. */
function bytesField(v: GoJson | undefined, errors: TypeErrors, path: string): Uint8Array | undefined {
  if (v === undefined || v.kind === 'null') return undefined;
  if (v.kind !== 'string') {
    errors.note(v, 'jwsUnprotectedHeader', path, '[]uint8');
    return undefined;
  }
  try {
    return stdBase64Decode(v.value);
  } catch (err) {
    errors.other((err as Error).message);
    return undefined;
  }
}

/** ParseEnvelope: json.Unmarshal into jwsEnvelope. Throws the error text. */
export function parseJws(bytes: Uint8Array): JwsEnvelope {
  let root: GoJson;
  try {
    root = goUnmarshal(bytes);
  } catch (err) {
    if (err instanceof GoJsonError) throw new Error(err.message);
    throw err;
  }
  const env: JwsEnvelope = {
    payload: '',
    protected: '',
    signature: '',
    x5c: [],
    timestampSignature: new Uint8Array(0),
    signingAgent: '',
  };
  const errors = new TypeErrors();
  if (root.kind === 'null') return env;
  if (root.kind !== 'object') {
    errors.note(root, '', '', 'jws.jwsEnvelope');
    throw new Error(errors.first);
  }
  const fields = structFields(root, ['payload', 'protected', 'header', 'signature']);
  env.payload = stringField(fields.get('payload'), errors, 'jwsEnvelope', 'payload') ?? '';
  env.protected = stringField(fields.get('protected'), errors, 'jwsEnvelope', 'protected') ?? '';
  const header = fields.get('header');
  if (header && header.kind === 'object') {
    const h = structFields(header, [
      'io.cncf.notary.timestampSignature',
      'x5c',
      'io.cncf.notary.signingAgent',
    ]);
    env.timestampSignature =
      bytesField(
        h.get('io.cncf.notary.timestampSignature'),
        errors,
        'header.io.cncf.notary.timestampSignature',
      ) ?? new Uint8Array(0);
    const x5c = h.get('x5c');
    if (x5c && x5c.kind === 'array') {
      for (const item of x5c.items) env.x5c.push(bytesField(item, errors, 'header.x5c') ?? new Uint8Array(0));
    } else if (x5c && x5c.kind !== 'null')
      errors.note(x5c, 'jwsUnprotectedHeader', 'header.x5c', '[][]uint8');
    env.signingAgent =
      stringField(
        h.get('io.cncf.notary.signingAgent'),
        errors,
        'jwsUnprotectedHeader',
        'header.io.cncf.notary.signingAgent',
      ) ?? '';
  } else if (header && header.kind !== 'null')
    errors.note(header, 'jwsEnvelope', 'header', 'jws.jwsUnprotectedHeader');
  env.signature = stringField(fields.get('signature'), errors, 'jwsEnvelope', 'signature') ?? '';
  if (errors.first !== undefined) throw new Error(errors.first);
  return env;
}

// --- golang-jwt v4.5.2 ---------------------------------------------------------------------------

const VALID_METHODS = ['PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512'];
const REGISTERED_METHODS = [
  'HS256',
  'HS384',
  'HS512',
  'RS256',
  'RS384',
  'RS512',
  'ES256',
  'ES384',
  'ES512',
  'PS256',
  'PS384',
  'PS512',
  'EdDSA',
  'none',
];

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

const HASHES: Record<string, string> = { '256': 'sha256', '384': 'sha384', '512': 'sha512' };

/** The method's Verify: the error text, or undefined. */
function verifySegment(
  alg: string,
  signingInput: string,
  sigSegment: string,
  key: GoPublicKey,
): string | undefined {
  let sig: Uint8Array;
  try {
    sig = rawUrlBase64Decode(sigSegment);
  } catch (err) {
    return errorMessage(err);
  }
  const hash = HASHES[alg.slice(2)]!;
  if (alg.startsWith('PS')) {
    if (key.kind !== 'rsa') return 'key is invalid';
    // Go's rsa.VerifyPSS refuses a signature whose length is not the modulus size.
    if (sig.length !== Math.ceil(key.bits / 8)) return 'crypto/rsa: verification error';
    const ok = nodeVerify(
      hash,
      Buffer.from(signingInput, 'latin1'),
      { key: key.key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_AUTO },
      sig,
    );
    return ok ? undefined : 'crypto/rsa: verification error';
  }
  if (key.kind !== 'ecdsa') return 'key is of invalid type';
  const size = { ES256: 32, ES384: 48, ES512: 66 }[alg]!;
  if (sig.length !== 2 * size) return 'crypto/ecdsa: verification error';
  let ok = false;
  try {
    ok = nodeVerify(
      hash,
      Buffer.from(signingInput, 'latin1'),
      { key: key.key, dsaEncoding: 'der' },
      ecdsaRsToDer(sig, size),
    );
  } catch {
    ok = false;
  }
  return ok ? undefined : 'crypto/ecdsa: verification error';
}

/**
 * jwt.NewParser(WithValidMethods, WithJSONNumber, WithoutClaimsValidation).Parse: the error text,
 * or undefined when the token verifies with the leaf's key.
 */
export function verifyJwt(compact: string, key: GoPublicKey): string | undefined {
  const parts = compact.split('.');
  if (parts.length !== 3) return 'token contains an invalid number of segments';
  let headerBytes: Uint8Array;
  try {
    headerBytes = rawUrlBase64Decode(parts[0]!);
  } catch (err) {
    if (compact.toLowerCase().startsWith('bearer ')) return "tokenstring should not contain 'bearer '";
    return errorMessage(err);
  }
  let header: GoJson;
  try {
    header = goUnmarshal(headerBytes);
  } catch (err) {
    return errorMessage(err);
  }
  if (header.kind !== 'object' && header.kind !== 'null')
    return `json: cannot unmarshal ${jsonKindName(header)} into Go value of type map[string]interface {}`;
  let claimBytes: Uint8Array;
  try {
    claimBytes = rawUrlBase64Decode(parts[1]!);
  } catch (err) {
    return errorMessage(err);
  }
  let claims: GoJson;
  try {
    claims = goDecodeFirst(claimBytes);
  } catch (err) {
    return errorMessage(err);
  }
  if (claims.kind !== 'object' && claims.kind !== 'null')
    return `json: cannot unmarshal ${jsonKindName(claims)} into Go value of type jwt.MapClaims`;
  let alg: GoJson | undefined;
  if (header.kind === 'object') for (const [k, v] of header.members) if (k === 'alg') alg = v;
  if (alg?.kind !== 'string') return 'signing method (alg) is unspecified.';
  if (!REGISTERED_METHODS.includes(alg.value)) return 'signing method (alg) is unavailable.';
  if (!VALID_METHODS.includes(alg.value)) return `signing method ${alg.value} is invalid`;
  return verifySegment(alg.value, `${parts[0]}.${parts[1]}`, parts[2]!, key);
}

// --- protected headers (jws.go) -------------------------------------------------------------------

interface ProtectedHeader {
  alg: string;
  cty: string;
  crit: string[];
  expiry: GoTime | undefined;
  signingScheme: string;
  signingTime: GoTime | undefined;
  authenticSigningTime: GoTime | undefined;
  extended: [string, unknown][];
}

const HEADER_KEYS = [
  'alg',
  'cty',
  'crit',
  'io.cncf.notary.expiry',
  'io.cncf.notary.signingTime',
  'io.cncf.notary.signingScheme',
  'io.cncf.notary.authenticSigningTime',
];

/** A Go interface{} value decoded by encoding/json (numbers are float64). */
function goValue(v: GoJson): unknown {
  switch (v.kind) {
    case 'object': {
      const m = new Map<string, unknown>();
      for (const [k, val] of v.members) m.set(k, goValue(val));
      return Object.fromEntries(m);
    }
    case 'array':
      return v.items.map(goValue);
    case 'string':
      return v.value;
    case 'number':
      return Number(v.raw);
    case 'bool':
      return v.value;
    case 'null':
      return null;
  }
}

function timeField(v: GoJson | undefined, errors: TypeErrors): GoTime | undefined {
  if (v === undefined || v.kind === 'null') return undefined;
  if (v.kind !== 'string') {
    errors.other('Time.UnmarshalJSON: input is not a JSON string');
    return undefined;
  }
  const t = parseRFC3339(v.value);
  if ('error' in t) {
    errors.other(t.error);
    return undefined;
  }
  return t;
}

function parseProtectedHeaders(encoded: string): ProtectedHeader {
  const fail = (msg: string): never => {
    throw new Error(`jws envelope protected header can't be decoded: ${msg}`);
  };
  let raw: Uint8Array = new Uint8Array(0);
  try {
    raw = rawUrlBase64Decode(encoded);
  } catch (err) {
    fail(errorMessage(err));
  }
  let root: GoJson = { kind: 'null' };
  try {
    root = goUnmarshal(raw);
  } catch (err) {
    fail(errorMessage(err));
  }
  const header: ProtectedHeader = {
    alg: '',
    cty: '',
    crit: [],
    expiry: undefined,
    signingScheme: '',
    signingTime: undefined,
    authenticSigningTime: undefined,
    extended: [],
  };
  if (root.kind === 'null') return header;
  const errors = new TypeErrors();
  if (root.kind !== 'object') {
    errors.note(root, '', '', 'jws.jwsProtectedHeader');
    return fail(errors.first!);
  }
  const f = structFields(root, HEADER_KEYS);
  header.alg = stringField(f.get('alg'), errors, 'jwsProtectedHeader', 'alg') ?? '';
  header.cty = stringField(f.get('cty'), errors, 'jwsProtectedHeader', 'cty') ?? '';
  const crit = f.get('crit');
  if (crit?.kind === 'array') {
    for (const item of crit.items)
      header.crit.push(stringField(item, errors, 'jwsProtectedHeader', 'crit') ?? '');
  } else if (crit && crit.kind !== 'null') errors.note(crit, 'jwsProtectedHeader', 'crit', '[]string');
  header.expiry = timeField(f.get('io.cncf.notary.expiry'), errors);
  header.signingScheme =
    stringField(
      f.get('io.cncf.notary.signingScheme'),
      errors,
      'jwsProtectedHeader',
      'io.cncf.notary.signingScheme',
      'signature.SigningScheme',
    ) ?? '';
  header.signingTime = timeField(f.get('io.cncf.notary.signingTime'), errors);
  header.authenticSigningTime = timeField(f.get('io.cncf.notary.authenticSigningTime'), errors);
  if (errors.first !== undefined) fail(errors.first);
  // The second decode, into map[string]interface{}, minus notation's own keys (exact names).
  const extended = new Map<string, unknown>();
  for (const [k, v] of root.members) extended.set(k, goValue(v));
  for (const k of HEADER_KEYS) extended.delete(k);
  header.extended = [...extended];
  return header;
}

function validateProtectedHeaders(h: ProtectedHeader): string | undefined {
  if (h.signingScheme === SIGNING_SCHEME_X509) {
    if (h.authenticSigningTime !== undefined)
      return `"io.cncf.notary.authenticSigningTime" header must not be present for notary.x509 signing scheme`;
  } else if (h.signingScheme === SIGNING_SCHEME_X509_SIGNING_AUTHORITY) {
    if (h.signingTime !== undefined)
      return `"io.cncf.notary.signingTime" header must not be present for notary.x509.signingAuthority signing scheme`;
    if (h.authenticSigningTime === undefined)
      return `"io.cncf.notary.authenticSigningTime" header must be present for notary.x509 signing scheme`;
  } else return `unsupported SigningScheme: \`${h.signingScheme}\``;
  // validateCriticalHeaders
  if (h.crit.length === 0) return 'missing "crit" header';
  const mustBeCritical = new Set(['io.cncf.notary.signingScheme']);
  if (h.expiry !== undefined && !isZero(h.expiry)) mustBeCritical.add('io.cncf.notary.expiry');
  if (h.signingScheme === SIGNING_SCHEME_X509_SIGNING_AUTHORITY)
    mustBeCritical.add('io.cncf.notary.authenticSigningTime');
  const extendedKeys = new Set(h.extended.map(([k]) => k));
  for (const val of h.crit) {
    if (mustBeCritical.has(val)) mustBeCritical.delete(val);
    else if (!extendedKeys.has(val)) return `${goQuote(val)} header is marked critical but not present`;
  }
  if (mustBeCritical.size > 0)
    return `these required headers are not marked as critical: [${[...mustBeCritical].join(' ')}]`;
  return undefined;
}

const JWS_ALGORITHMS: Record<string, number> = { PS256: 1, PS384: 2, PS512: 3, ES256: 4, ES384: 5, ES512: 6 };

/** envelope.Content(): protected headers, payload and signer info. Throws the error text. */
function content(env: JwsEnvelope): EnvelopeContent {
  const h = parseProtectedHeaders(env.protected);
  let payload: Uint8Array;
  try {
    payload = rawUrlBase64Decode(env.payload);
  } catch (err) {
    throw new Error(`payload error: ${errorMessage(err)}`);
  }
  const invalid = validateProtectedHeaders(h);
  if (invalid !== undefined) throw new Error(invalid);
  const signatureAlgorithm = JWS_ALGORITHMS[h.alg];
  if (signatureAlgorithm === undefined)
    throw new Error(`signature algorithm ${goQuote(h.alg)} is not supported`);
  const extendedAttributes: Attribute[] = h.extended.map(([key, value]) => ({
    key,
    critical: h.crit.includes(key),
    value,
  }));
  const signingTime = h.signingScheme === SIGNING_SCHEME_X509 ? h.signingTime : h.authenticSigningTime;
  const signature = rawUrlBase64Decode(env.signature);
  if (signature.length === 0) throw new Error('signature missing in jws-json envelope');
  const certificateChain = env.x5c.map((der) => parseCertificate(der));
  return {
    payload: { content: payload, contentType: h.cty },
    signerInfo: {
      signingScheme: h.signingScheme,
      signingTime,
      expiry: h.expiry,
      extendedAttributes,
      signingAgent: env.signingAgent,
      timestampSignature: env.timestampSignature,
      signature,
      signatureAlgorithm,
      certificateChain,
    },
  };
}

/** envelope.Verify() of the JWS format (before base validation). Throws the error text. */
export function verifyJws(env: JwsEnvelope): EnvelopeContent {
  if (env.x5c.length === 0) throw new Error('certificate chain is not present');
  let leafKey: GoPublicKey;
  try {
    leafKey = parseCertificate(env.x5c[0]!).publicKey;
  } catch {
    throw new Error('malformed leaf certificate');
  }
  const jwtError = verifyJwt(`${env.protected}.${env.payload}.${env.signature}`, leafKey);
  if (jwtError !== undefined) throw new Error(`signature is invalid. Error: ${jwtError}`);
  return content(env);
}
