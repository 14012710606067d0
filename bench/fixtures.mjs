// Writes the benchmark policies: digest allowlists and notation policies at several sizes, for
// the ratios (20 000 digests, 2 000 statements) and the scaling table.
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2] ?? 'bench/.fixtures';
mkdirSync(dir, { recursive: true });

function digestion(count) {
  const digests = Array.from(
    { length: count },
    (_, i) => `sha256:${createHash('sha256').update(String(i)).digest('hex')}`,
  );
  // Compact, as a generated allowlist is written: 20 000 digests pretty-printed would be over the
  // API's 2 MiB request limit once base64-encoded, so lint would answer api/too-large.
  return JSON.stringify({ version: '1.0', trustedDigests: digests }) + '\n';
}

function notation(count) {
  const statements = Array.from({ length: count }, (_, i) => ({
    name: `team-${i}`,
    registryScopes: [`123456789012.dkr.ecr.us-west-2.amazonaws.com/team-${i}/app`],
    signatureVerification: { level: 'strict', override: { revocation: 'log' } },
    trustStores: ['signingAuthority:aws-signer-ts'],
    trustedIdentities: [`arn:aws:signer:us-west-2:123456789012:/signing-profiles/team_${i}`],
  }));
  return JSON.stringify({ version: '1.0', trustPolicies: statements }, null, 2) + '\n';
}

for (const n of [1000, 5000, 20000]) writeFileSync(join(dir, `digestion-${n}.json`), digestion(n));
// notation-1: the cold first run (an empty compile cache) beside the warm one.
for (const n of [1, 200, 1000, 2000]) writeFileSync(join(dir, `notation-${n}.json`), notation(n));
