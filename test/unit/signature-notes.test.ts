/** check's notes about verified signatures (stderr, text without --verbose). */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { signatureSetup } from '../../src/inputs/trust-store.ts';
import type { Io } from '../../src/io.ts';
import type { CheckEntry } from '../../src/output/check.ts';

function capture(): { io: Io; stderr: () => string } {
  const err: string[] = [];
  const io = {
    stdout: { write: () => true, isTTY: false },
    stderr: { write: (c: string | Uint8Array) => err.push(String(c)), isTTY: false },
    readStdin: async () => new Uint8Array(),
    env: {},
    cwd: '/',
  } as unknown as Io;
  return { io, stderr: () => err.join('') };
}

const entry = (decision: 'allowed' | 'blocked', reasons: string[]) =>
  ({
    name: 'registry.example.com/app@sha256:' + '1'.repeat(64),
    digest: 'sha256:' + '1'.repeat(64),
    decision,
    verifiers: [{ verifier: 'notation-image-verifier', decision, reasons, stderr: '', source: 'model' }],
  }) as unknown as CheckEntry;

describe('the reasons the node hides, as notes', () => {
  test('an allowed image counts many failed signatures before the one that verified', async () => {
    const { io, stderr } = capture();
    const setup = await signatureSetup(io, { offline: true }, [], async () => {
      throw new Error('no registry');
    });
    setup.afterwards([entry('allowed', ['a', 'b', 'c', 'd', 'e'])], true);
    assert.match(stderr(), /5 signatures failed before one verified \(--verbose says why\)/);
    assert.doesNotMatch(stderr(), /the reason the node hides/);
  });
  test('a blocked image names every reason', async () => {
    const { io, stderr } = capture();
    const setup = await signatureSetup(io, { offline: true }, [], async () => {
      throw new Error('no registry');
    });
    setup.afterwards([entry('blocked', ['a', 'b', 'c', 'd', 'e'])], true);
    assert.equal(stderr().match(/the reason the node hides/g)?.length, 5);
  });
});
