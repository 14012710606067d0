/**
 * Signature verification on vectors made by the tests with Node's crypto (certificates, JWS and
 * COSE envelopes, trust stores): notation's decisions and texts for the situations operators meet,
 * with dates far from today. Where it is cheap, a second implementation agrees: the openssl CLI
 * verifies the generated chains and a JWS signature.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createPublicKey } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import {
  checkJsonSignatures,
  type VerifyImageResult,
  verifyImage,
} from '../../src/verifiers/signatures/index.ts';
import { parseCertificate } from '../../src/verifiers/signatures/x509.ts';
import {
  certificate,
  chain,
  cose,
  type EnvelopeOptions,
  type Image,
  jws,
  key,
  KU_CA,
  KU_LEAF,
  EKU_CODE_SIGNING,
  pem,
  registry,
  sha256,
  trustStore,
} from '../signatures-pki.ts';

const NOW = new Date('2030-06-01T00:00:00Z');
const IMAGE_MANIFEST = new TextEncoder().encode(
  '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json"}',
);
const IMAGE: Image = {
  mediaType: 'application/vnd.oci.image.manifest.v1+json',
  digest: sha256(IMAGE_MANIFEST),
  size: IMAGE_MANIFEST.length,
};
const REF = `registry.example.com/team/app@${IMAGE.digest}`;

function policy(
  level = 'strict',
  extra: Record<string, unknown> = {},
  identities = ['*'],
  stores = ['ca:test'],
) {
  return new TextEncoder().encode(
    JSON.stringify({
      version: '1.0',
      trustPolicies: [
        {
          name: 'test',
          registryScopes: ['*'],
          signatureVerification: { level, ...extra },
          trustStores: stores,
          trustedIdentities: identities,
        },
      ],
    }),
  );
}

const JWS = 'application/jose+json';
const COSE = 'application/cose';

async function run(
  envelopes: { mediaType: string; bytes: Uint8Array }[],
  store: ReturnType<typeof trustStore>,
  pol = policy(),
): Promise<VerifyImageResult> {
  const reg = registry(IMAGE, envelopes);
  return verifyImage({
    name: 'registry.example.com/team/app:v1',
    digest: IMAGE.digest,
    policy: pol,
    descriptor: IMAGE,
    referrers: reg.referrers,
    fetch: reg.fetch,
    trustStore: store,
    now: NOW,
    revocation: { mode: 'offline' },
  });
}

const FAILED_ALL = `Error: signature verification failed for all the signatures associated with ${REF}\n`;

function envelope(
  kind: 'jws' | 'cose',
  certs: Uint8Array[],
  leafKey: Parameters<typeof jws>[1],
  o: EnvelopeOptions = {},
) {
  return {
    mediaType: kind === 'jws' ? JWS : COSE,
    bytes: (kind === 'jws' ? jws : cose)(certs, leafKey, IMAGE, o),
  };
}

describe('signature vectors made with Node crypto', () => {
  const rsa = chain('rsa2048', 3, 'Alpha');
  const ec = chain('p384', 2, 'Beta');
  const storeFor = (c: { certs: Uint8Array[] }) =>
    trustStore({ 'ca/test': { 'root.pem': pem(c.certs.at(-1)!) } });

  for (const kind of ['jws', 'cose'] as const) {
    test(`${kind}: a good signature (RSA 2048, 3 certificates) lets the image through`, async () => {
      const r = await run([envelope(kind, rsa.certs, rsa.leafKey)], storeFor(rsa));
      assert.equal(r.outcome, 'verified');
      assert.equal(r.notationStdout, `Successfully verified signature for ${REF}\n`);
      assert.equal(r.exitCode, 0);
      assert.deepEqual(
        r.signatures[0]!.steps.map((s) => `${s.type}:${s.action}`),
        [
          'integrity:enforce',
          'authenticity:enforce',
          'expiry:enforce',
          'authenticTimestamp:enforce',
          'revocation:enforce',
        ],
      );
    });

    test(`${kind}: a good signature (ECDSA P-384) lets the image through`, async () => {
      const r = await run([envelope(kind, ec.certs, ec.leafKey)], storeFor(ec));
      assert.equal(r.outcome, 'verified');
    });

    test(`${kind}: a tampered payload fails integrity, and the node shows only its generic line`, async () => {
      const r = await run([envelope(kind, rsa.certs, rsa.leafKey, { tamperPayload: true })], storeFor(rsa));
      assert.equal(r.outcome, 'failed');
      assert.equal(
        r.signatures[0]!.error,
        kind === 'jws'
          ? 'signature is invalid. Error: crypto/rsa: verification error'
          : 'signature is invalid. Error: verification error',
      );
      assert.equal(r.notationStderr, FAILED_ALL);
      assert.equal(r.reason, `image verification failed: ${FAILED_ALL.trim()}`);
    });
  }

  test('RSA-PSS with the maximum salt: JWS accepts it (salt length auto), COSE does not (salt = hash length)', async () => {
    const max = 256 - 32 - 2;
    assert.equal(
      (await run([envelope('jws', rsa.certs, rsa.leafKey, { saltLength: max })], storeFor(rsa))).outcome,
      'verified',
    );
    const c = await run([envelope('cose', rsa.certs, rsa.leafKey, { saltLength: max })], storeFor(rsa));
    assert.equal(c.signatures[0]!.error, 'signature is invalid. Error: verification error');
  });

  test('a signature of another image fails with "content descriptor mismatch", even at audit level', async () => {
    const other = { ...IMAGE, digest: sha256(new TextEncoder().encode('other')) };
    for (const level of ['strict', 'audit']) {
      const r = await run(
        [envelope('jws', rsa.certs, rsa.leafKey, { target: other })],
        storeFor(rsa),
        policy(level),
      );
      assert.equal(r.signatures[0]!.error, 'content descriptor mismatch');
      assert.equal(r.outcome, 'failed');
    }
  });

  test('a root not in the trust store: authenticity fails; audit logs it and prints the Warning line', async () => {
    const other = chain('p256', 2, 'Gamma');
    const strict = await run([envelope('jws', rsa.certs, rsa.leafKey)], storeFor(other));
    assert.equal(
      strict.signatures[0]!.error,
      "the signature's certificate chain does not contain any trusted certificate",
    );
    const audit = await run([envelope('jws', rsa.certs, rsa.leafKey)], storeFor(other), policy('audit'));
    assert.equal(audit.outcome, 'verified');
    assert.deepEqual(audit.warnings, [
      `Warning: authenticity was set to "log" and failed with error: the signature's certificate chain does not contain any trusted certificate`,
    ]);
    assert.equal(audit.notationStderr, audit.warnings[0] + '\n');
  });

  test('an untrusted signer: notation prints the trusted identities as Go maps', async () => {
    const r = await run(
      [envelope('cose', ec.certs, ec.leafKey)],
      storeFor(ec),
      policy('strict', {}, ['x509.subject: C=US, ST=WA, O=Someone Else']),
    );
    assert.equal(
      r.signatures[0]!.error,
      'signing certificate from the digital signature does not match the X.509 trusted identities [map["C":"US" "O":"Someone Else" "ST":"WA"]] defined in the trust policy "test"',
    );
    const ok = await run(
      [envelope('cose', ec.certs, ec.leafKey)],
      storeFor(ec),
      policy('strict', {}, ['x509.subject: C=US, ST=WA, O=Civctl Test']),
    );
    assert.equal(ok.outcome, 'verified');
  });

  test('an expired signature prints its expiry in the offset it was written with (Go keeps JWS offsets)', async () => {
    const r = await run(
      [envelope('jws', rsa.certs, rsa.leafKey, { expiry: '2022-07-29T16:59:00-07:00' })],
      storeFor(rsa),
    );
    assert.equal(
      r.signatures[0]!.error,
      'digital signature has expired on "Fri, 29 Jul 2022 16:59:00 -0700"',
    );
    const c = await run(
      [envelope('cose', rsa.certs, rsa.leafKey, { expiry: '2022-07-29T23:59:00Z' })],
      storeFor(rsa),
    );
    assert.equal(
      c.signatures[0]!.error,
      'digital signature has expired on "Fri, 29 Jul 2022 23:59:00 +0000"',
    );
  });

  test('an expired signing certificate fails the authentic timestamp without a TSA store', async () => {
    const old = chain('rsa2048', 2, 'Old', {
      notBefore: '2000-06-01T00:00:00Z',
      notAfter: '2002-01-01T00:00:00Z',
    });
    const r = await run(
      [envelope('jws', old.certs, old.leafKey, { signingTime: '2001-01-01T00:00:00Z' })],
      storeFor(old),
    );
    assert.equal(
      r.signatures[0]!.error,
      'verification time is after certificate "CN=Old signer,O=Civctl Test,L=Seattle,ST=WA,C=US" validity period, it was expired at "Tue, 01 Jan 2002 00:00:00 +0000"',
    );
    // signingAuthority: only the signing time must fall inside every certificate's validity.
    const sa = await run(
      [
        envelope('jws', old.certs, old.leafKey, {
          scheme: 'notary.x509.signingAuthority',
          signingTime: '2001-01-01T00:00:00Z',
        }),
      ],
      trustStore({ 'signingAuthority/test': { 'root.pem': pem(old.certs.at(-1)!) } }),
      policy('strict', {}, ['*'], ['signingAuthority:test']),
    );
    assert.equal(sa.outcome, 'verified');
  });

  test('certificate rules: a leaf with serverAuth EKU, and an RSA-1024 leaf', async () => {
    const tls = chain('p256', 2, 'Tls', { eku: ['1.3.6.1.5.5.7.3.1'] });
    const r = await run([envelope('jws', tls.certs, tls.leafKey)], storeFor(tls));
    assert.equal(
      r.signatures[0]!.error,
      'certificate-chain is invalid, certificate with subject "CN=Tls signer,O=Civctl Test,L=Seattle,ST=WA,C=US": extended key usage must not contain ServerAuth eku',
    );
    const small = chain('rsa1024', 2, 'Small');
    const j = await run([envelope('jws', small.certs, small.leafKey, { alg: 'PS256' })], storeFor(small));
    assert.equal(
      j.signatures[0]!.error,
      'certificate-chain is invalid, certificate with subject "CN=Small signer,O=Civctl Test,L=Seattle,ST=WA,C=US": rsa key size 1024 bits is not supported',
    );
    const c = await run([envelope('cose', small.certs, small.leafKey, { alg: 'PS256' })], storeFor(small));
    // COSE derives the algorithm from the leaf's key first.
    assert.equal(c.signatures[0]!.error, 'rsa key size 1024 bits is not supported');
  });

  test('the first good signature wins; failures before it are reported', async () => {
    const r = await run(
      [
        envelope('jws', rsa.certs, rsa.leafKey, { tamperPayload: true }),
        envelope('cose', rsa.certs, rsa.leafKey),
        envelope('jws', rsa.certs, rsa.leafKey),
      ],
      storeFor(rsa),
    );
    assert.equal(r.outcome, 'verified');
    assert.deepEqual(
      r.signatures.map((s) => [s.outcome, s.evaluated]),
      [
        ['failure', true],
        ['success', true],
        ['success', false],
      ],
    );
  });

  test('at most 100 signatures are examined; check JSON marks the rest not-evaluated', async () => {
    const bad = envelope('jws', rsa.certs, rsa.leafKey, { tamperPayload: true });
    const many = Array.from({ length: 101 }, (_, i) => ({
      ...bad,
      bytes: Uint8Array.from([...bad.bytes.subarray(0, -1), 0x20, 0x7d]).subarray(
        0,
        bad.bytes.length + (i % 2),
      ),
    }));
    const r = await run(many, storeFor(rsa));
    assert.equal(r.outcome, 'failed');
    assert.equal(r.notationStderr, FAILED_ALL);
    assert.equal(r.signatures.filter((s) => s.evaluated).length, 100);
    const json = checkJsonSignatures(r);
    assert.deepEqual(json[100], {
      digest: r.signatures[100]!.digest,
      mediaType: null,
      outcome: 'not-evaluated',
      steps: [],
    });
    assert.equal(json[0]!['outcome'], 'failure');
  });

  test('a signature that names a verification plugin civctl does not run is undecided', async () => {
    const plugin = envelope('jws', rsa.certs, rsa.leafKey, {
      extraProtected: { 'io.cncf.notary.verificationPlugin': 'com.example.plugin' },
      crit: ['io.cncf.notary.signingScheme', 'io.cncf.notary.verificationPlugin'],
    });
    const reg = registry(IMAGE, [plugin]);
    const base = {
      name: REF,
      digest: IMAGE.digest,
      policy: policy(),
      descriptor: IMAGE,
      referrers: reg.referrers,
      fetch: reg.fetch,
      trustStore: storeFor(rsa),
      now: NOW,
      revocation: { mode: 'offline' as const },
    };
    const installed = await verifyImage({
      ...base,
      plugins: { dir: '/p', installed: new Map([['com.example.plugin', { version: '1.0.0' }]]) },
    });
    assert.equal(installed.outcome, 'undecided');
    assert.match(installed.notChecked!.join(), /com\.example\.plugin/);
    const missing = await verifyImage(base);
    assert.equal(
      missing.signatures[0]!.error,
      'error while locating the verification plugin "com.example.plugin", make sure the plugin is installed successfully before verifying the signature. error: plugin executable file is either not found or inaccessible: stat /usr/libexec/notation-plugins/plugins/com.example.plugin/notation-com.example.plugin: no such file or directory',
    );
  });

  test('no signature: notation says so', async () => {
    const r = await run([], storeFor(rsa));
    assert.equal(r.outcome, 'no-signatures');
    assert.equal(
      r.notationStderr,
      `Error: signature verification failed: no signature is associated with "${REF}", make sure the artifact was signed successfully\n`,
    );
  });
});

describe('trust store files (notation-go truststore rules)', () => {
  const c = chain('p256', 3, 'Store');
  const sig = () => [envelope('jws', c.certs, c.leafKey)];
  const root = c.certs.at(-1)!;
  const intermediate = c.certs[1]!;
  const leaf = c.certs[0]!;

  test('PEM with text around it, several certificates in one file, and DER files are read', async () => {
    const text = `# our roots\n${pem(intermediate)}\nnotes\n${pem(root)}`;
    assert.equal((await run(sig(), trustStore({ 'ca/test': { 'roots.pem': text } }))).outcome, 'verified');
    assert.equal((await run(sig(), trustStore({ 'ca/test': { 'root.der': root } }))).outcome, 'verified');
  });

  test('a file that is not a certificate is named with Go x509 error', async () => {
    const r = await run(
      sig(),
      trustStore({ 'ca/test': { 'a.pem': pem(root), 'notes.txt': 'not a certificate\n' } }),
    );
    assert.equal(
      r.notationStderr,
      'Error: failed to read the trusted certificate notes.txt in trust store test of type ca. x509: malformed certificate\n',
    );
  });

  test('a leaf certificate in the store is refused, an empty file too', async () => {
    const r = await run(sig(), trustStore({ 'ca/test': { 'leaf.pem': pem(leaf) } }));
    assert.equal(
      r.notationStderr,
      'Error: failed to validate the trusted certificate leaf.pem in trust store test of type ca. certificate with subject "CN=Store signer,O=Civctl Test,L=Seattle,ST=WA,C=US" is not a CA certificate or self-signed signing certificate\n',
    );
    const empty = await run(sig(), trustStore({ 'ca/test': { 'empty.pem': '' } }));
    assert.equal(
      empty.notationStderr,
      'Error: failed to validate the trusted certificate empty.pem in trust store test of type ca. input certs cannot be empty\n',
    );
  });

  test('files are read in name order, a directory inside a store is an error', async () => {
    const r = await run(sig(), trustStore({ 'ca/test': { 'z.pem': pem(root), 'a-sub': 'dir' } }));
    assert.equal(
      r.notationStderr,
      'Error: trusted certificate a-sub in trust store test of type ca is not a regular file (directories or symlinks are not supported). %!w(<nil>)\n',
    );
  });

  test('a missing store and an empty store are the errors the CLI reports in its own words', async () => {
    const missing = await run(sig(), trustStore({}));
    assert.equal(
      missing.notationStderr,
      `Error: the trust store "test" of type "ca" does not exist. Use command 'notation cert add' to create and add trusted certificates to the trust store\n`,
    );
    const empty = await run(sig(), trustStore({ 'ca/test': {} }));
    assert.equal(
      empty.notationStderr,
      `Error: no x509 certificates were found in trust store "test" of type "ca". Use command 'notation cert add' to create and add trusted certificates to the trust store\n`,
    );
  });
});

describe('Go texts for certificates', () => {
  test('subjects print as Go prints a pkix.Name (fixed order, RFC 4514 escapes, multi-valued OUs)', () => {
    const k = key('p256', 'names');
    const der = certificate({
      subject: [
        ['CN', 'a, "b" + c'],
        ['O', ' Org '],
        ['OU', 'One'],
        ['OU', 'Two'],
        ['C', 'US'],
      ],
      key: k,
      signer: k.privateKey,
      keyUsage: KU_LEAF,
    });
    assert.equal(parseCertificate(der).subjectString, 'CN=a\\, \\"b\\" \\+ c,OU=One+OU=Two,O=\\ Org\\ ,C=US');
  });

  test('a certificate with trailing data is refused as Go refuses it', () => {
    const k = key('p256', 'trailing');
    const der = certificate({
      subject: [['CN', 'x']],
      key: k,
      signer: k.privateKey,
      ca: true,
      keyUsage: KU_CA,
    });
    assert.throws(() => parseCertificate(Uint8Array.from([...der, 0])), /^Error: x509: trailing data$/);
  });
});

describe('cross-check with the openssl CLI', () => {
  const openssl = spawnSync('openssl', ['version'], { encoding: 'utf8' });
  const dir = mkdtempSync(join(tmpdir(), 'civctl-sig-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const skip = openssl.status !== 0 ? 'openssl is not installed' : false;

  test('openssl verifies the generated chain', { skip }, () => {
    const c = chain('rsa3072', 3, 'Openssl', { eku: [EKU_CODE_SIGNING] });
    writeFileSync(join(dir, 'root.pem'), pem(c.certs[2]!));
    writeFileSync(join(dir, 'int.pem'), pem(c.certs[1]!));
    writeFileSync(join(dir, 'leaf.pem'), pem(c.certs[0]!));
    const r = spawnSync(
      'openssl',
      [
        'verify',
        '-no_check_time',
        '-purpose',
        'any',
        '-CAfile',
        join(dir, 'root.pem'),
        '-untrusted',
        join(dir, 'int.pem'),
        join(dir, 'leaf.pem'),
      ],
      { encoding: 'utf8' },
    );
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /: OK/);
  });

  test('openssl verifies a JWS PS384 signature (salt length auto) that civctl accepts', {
    skip,
  }, async () => {
    const c = chain('rsa3072', 2, 'OpensslJws');
    const env = jws(c.certs, c.leafKey, IMAGE, { saltLength: 20 });
    const parsed = JSON.parse(new TextDecoder().decode(env)) as {
      protected: string;
      payload: string;
      signature: string;
    };
    writeFileSync(join(dir, 'input'), `${parsed.protected}.${parsed.payload}`);
    writeFileSync(join(dir, 'sig'), Buffer.from(parsed.signature, 'base64url'));
    writeFileSync(join(dir, 'pub.pem'), createPublicKey(c.leafKey).export({ type: 'spki', format: 'pem' }));
    const r = spawnSync(
      'openssl',
      [
        'dgst',
        '-sha384',
        '-sigopt',
        'rsa_padding_mode:pss',
        '-sigopt',
        'rsa_pss_saltlen:-2',
        '-verify',
        join(dir, 'pub.pem'),
        '-signature',
        join(dir, 'sig'),
        join(dir, 'input'),
      ],
      { encoding: 'utf8' },
    );
    assert.equal(r.stdout.trim(), 'Verified OK');
    const v = await run(
      [{ mediaType: JWS, bytes: env }],
      trustStore({ 'ca/test': { 'root.pem': pem(c.certs[1]!) } }),
    );
    assert.equal(v.outcome, 'verified');
  });
});
