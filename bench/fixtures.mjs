// Writes the benchmark policies: digest allowlists and notation policies, full size and half.
import { mkdirSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';

const dir = process.argv[2] ?? 'bench/.fixtures';
mkdirSync(dir, { recursive: true });

function digestion(count) {
  const digests = Array.from(
    { length: count },
    (_, i) => `sha256:${createHash('sha256').update(String(i)).digest('hex')}`,
  );
  return JSON.stringify({ version: '1.0', trustedDigests: digests }, null, 2) + '\n';
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

// 20 000 digests is about the API's 2 MiB request limit once base64-encoded.
writeFileSync(join(dir, 'digestion-20000.json'), digestion(20000));
writeFileSync(join(dir, 'digestion-10000.json'), digestion(10000));
writeFileSync(join(dir, 'notation-2000.json'), notation(2000));
writeFileSync(join(dir, 'notation-1000.json'), notation(1000));
