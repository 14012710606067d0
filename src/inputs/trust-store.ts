/**
 * check's signature inputs: --trust-store (notation's `truststore/` layout; on a node the node's
 * own store by default) and --oci-layout (the image's manifest and its signatures as referrers),
 * turned into the verifier decideImage calls, and the notes that go with it.
 */
import { statSync } from 'node:fs';
import { UsageError } from '../errors.ts';
import type { Io } from '../io.ts';
import { note } from '../output/messages.ts';
import type { CheckEntry } from '../output/check.ts';
import type { RegistryClient } from '../registry/client.ts';
import type { Descriptor } from '../registry/oci.ts';
import {
  layoutDescriptor,
  NODE_TRUST_STORE,
  type SignatureVerify,
  signatureVerifier,
  trustStoreDir,
} from '../verifiers/signature-check.ts';

export const SIGNATURE_OPTIONS = {
  'trust-store': {
    type: 'string',
    describe: `Verify notation signatures with this trust store (x509/{ca,signingAuthority,tsa}/<name>/…; on a node: ${NODE_TRUST_STORE})`,
  },
  'oci-layout': {
    type: 'string',
    describe: 'Read the image’s manifest and its signatures from this OCI image layout (index.json, blobs/)',
  },
} as const;

/** What the signature options read (SIGNATURE_OPTIONS, parsed); commands' arguments are checked against it. */
interface SignatureArgs {
  trustStore?: string | undefined;
  ociLayout?: string | undefined;
  offline: boolean;
}

export interface SignatureSetupResult {
  verify?: SignatureVerify;
  /** Notes on stderr once the decisions are printed (`text`: text output without --verbose). */
  afterwards(entries: CheckEntry[], text: boolean): void;
}

function requireDirectory(option: string, dir: string): void {
  const stat = statSync(dir, { throwIfNoEntry: false });
  if (stat === undefined) throw new UsageError(`--${option} ${dir} does not exist`);
  if (!stat.isDirectory()) throw new UsageError(`--${option} ${dir} is not a directory`);
}

/** Usage errors of the signature options, before anything is contacted. */
export function checkSignatureArgs(args: SignatureArgs): void {
  if (args.trustStore !== undefined) requireDirectory('trust-store', args.trustStore);
  if (args.ociLayout !== undefined) requireDirectory('oci-layout', args.ociLayout);
}

/**
 * The signature verifier for check: with a trust store, every image whose notation statement
 * requires signatures is verified; with --oci-layout the images' descriptors are the layout's.
 */
export async function signatureSetup(
  io: Io,
  args: SignatureArgs,
  targets: { descriptor?: Descriptor; failure?: string }[],
  registry: () => Promise<RegistryClient>,
): Promise<SignatureSetupResult> {
  checkSignatureArgs(args);
  if (args.ociLayout !== undefined) {
    for (const target of targets) {
      if (target.descriptor === undefined) continue;
      const found = await layoutDescriptor(args.ociLayout, target.descriptor.digest);
      if ('error' in found) target.failure = found.error;
      else target.descriptor = found;
    }
  }
  const store = trustStoreDir(args.trustStore);
  if (store !== undefined && args.trustStore === undefined)
    note(io, `verifying signatures with the node's trust store ${store}`);
  // --offline never asks a registry: signatures then come only from an OCI layout.
  const offlineWithoutLayout = args.offline && args.ociLayout === undefined;
  if (store !== undefined && offlineWithoutLayout)
    note(
      io,
      '--offline: signatures are not verified without --oci-layout DIR (the registry is not asked for them)',
    );
  const verify =
    store === undefined || offlineWithoutLayout
      ? undefined
      : signatureVerifier({
          trustStore: store,
          ...(args.ociLayout !== undefined ? { ociLayout: args.ociLayout } : {}),
          offline: args.offline,
          registry,
          env: io.env,
        });
  return {
    ...(verify ? { verify } : {}),
    afterwards(entries, text) {
      for (const entry of entries) {
        if ('failure' in entry) continue;
        for (const v of entry.verifiers) {
          const subject = entry.name.includes('@') ? entry.name : `${entry.name}@${entry.digest}`;
          // Text without --verbose: what the node hides, on stderr (stdout is one line per image).
          if (text) {
            for (const w of v.warnings ?? []) note(io, `${subject}: notation prints ${w}`);
            const reasons = v.reasons ?? [];
            // An allowed image's reasons are those of signatures before the one that verified:
            // many are counted, not listed (--verbose lists them).
            if (v.decision === 'allowed' && reasons.length > 3)
              note(
                io,
                `${subject}: ${reasons.length} signatures failed before one verified (--verbose says why)`,
              );
            else for (const r of reasons) note(io, `${subject}: the reason the node hides: ${r}`);
          }
          for (const what of v.notChecked ?? []) note(io, `${subject}: not checked: ${what}`);
          if (store === undefined && v.decision === 'signature-required')
            note(
              io,
              `${subject}: signatures are not verified without a trust store: give --trust-store DIR (notation's truststore layout) holding ${
                v.trustStores?.length ? v.trustStores.join(', ') : 'the stores the statement names'
              }`,
            );
        }
      }
    },
  };
}
