/**
 * check --name/--digest with names CRI would never produce but notation can be handed: registry
 * hosts that Go's URL rules (and so oras-go) accept, decided by notation's scope check.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { run, scratch } from '../helpers.ts';

test('a registry host with several colons: oras-go accepts it, notation’s scope check blocks it under any policy', async () => {
  const dir = scratch();
  try {
    const policy = dir.file(
      'skip.json',
      JSON.stringify({
        version: '1.0',
        trustPolicies: [
          {
            name: 'all',
            registryScopes: ['*'],
            signatureVerification: { level: 'skip' },
            trustStores: [],
            trustedIdentities: [],
          },
        ],
      }),
    );
    const digest = `sha256:${'b'.repeat(64)}`;
    const name = 'registry.example.com:5000:6000/app:v1';
    const r = await run(['check', '--name', name, '--digest', digest, '--policy', `notation=${policy}`]);
    assert.equal(r.code, 1, r.stderr);
    assert.equal(
      r.stdout,
      `BLOCKED ${name}@${digest} image verifier bindir blocked pull of ${name} with digest ${digest} for reason: verifier notation-image-verifier rejected image (exit code 1): image verification failed: Error: signature verification failed: registry scope "registry.example.com:5000:6000/app" is not valid, make sure it is a fully qualified repository without the scheme, protocol or tag. For example domain.com/my/repository or a local scope like local/myOCILayout\n`,
    );
    // The same image as a pod spec names it is no image reference to CRI.
    const cri = await run(['check', '--offline', '--policy', `notation=${policy}`, name]);
    assert.equal(cri.code, 2);
    assert.match(cri.stderr, /is not an image reference: invalid reference format/);
  } finally {
    dir.cleanup();
  }
});
