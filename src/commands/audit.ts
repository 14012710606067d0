/**
 * audit: what turning verification on would do to every workload a cluster runs, or is about to
 * deploy — each distinct image decided once, with check's decision and texts.
 */
import { CivError, ReportedError } from '../errors.ts';
import { isStdin } from '../inputs/files.ts';
import { REGISTRY_OPTIONS, registryClient } from '../inputs/registry.ts';
import { checkSignatureArgs, SIGNATURE_OPTIONS, signatureSetup } from '../inputs/trust-store.ts';
import { criReference, readWorkloadFiles, WORKLOAD_FILTER_OPTIONS } from '../inputs/workload-files.ts';
import { type AuditEntry, auditReport, auditSummary, withReason } from '../output/audit.ts';
import type { SignatureVerify } from '../verifiers/containerd.ts';
import { trustStoreDir } from '../verifiers/signature-check.ts';
import type { RegistryClient } from '../registry/client.ts';
import { parseImageReference } from '../registry/reference.ts';
import {
  DECISION_OPTIONS,
  nodePolicies,
  noteCustomVerifiersNotRun,
  verifierRun,
} from '../inputs/node-policies.ts';
import { defineCommand } from '../cli/spec.ts';

export const auditCommand = defineCommand({
  name: 'audit',
  talksTo: ['api', 'registry'],
  describe:
    'Say what the node would decide for every image a cluster runs or is about to deploy, before verification is enabled',
  positionals: [
    {
      name: 'files',
      variadic: true,
      describe:
        'kubectl get pods -o json|yaml output, workload manifests, crictl images -o json, or image lists (- for stdin)',
    },
  ],
  options: {
    ...DECISION_OPTIONS,
    offline: {
      type: 'boolean',
      default: false,
      describe: 'Never contact a registry: images without a digest in the input are unknown',
    },
    jobs: {
      type: 'number',
      default: 4,
      range: 'positive',
      whole: true,
      valueName: 'a whole number above 0',
      describe: 'Registry look-ups at a time',
    },
    ...SIGNATURE_OPTIONS,
    ...WORKLOAD_FILTER_OPTIONS,
    format: {
      alias: 'f',
      type: 'string',
      choices: ['text', 'json', 'markdown'],
      default: 'text',
      describe: 'Output format (markdown: a table for a pull-request comment)',
    },
    ...REGISTRY_OPTIONS,
  },
  examples: [
    ['kubectl get pods -A -o json | $0 audit -', 'What enabling verification would do to the running pods'],
    [
      '$0 audit --offline --user-data user-data.toml --format markdown k8s/*.yaml',
      'In CI, before deploying: the manifests against the fleet’s user data',
    ],
    ['$0 audit --policy digestion=digests.json --namespace shop pods.json', 'One namespace, one policy file'],
  ],
  run: async (args, ctx) => {
    const io = ctx.io;
    checkSignatureArgs(args);
    const files = args.files.length > 0 ? args.files : ['-'];
    const stdinTaken = files.some(isStdin);
    const read = await readWorkloadFiles(io, files, args);
    // Nothing read because inputs were skipped is a failed audit, not an empty cluster.
    if (read.uses.length === 0 && read.warnings.length > 0)
      throw new CivError(
        'E_WORKLOAD_INPUT',
        'no image was read from the inputs (see the warnings above): nothing was audited',
      );
    const node = await nodePolicies(io, args);
    // Where nothing is verified, no verifier runs at all: nothing to say.
    if (node.enabled) noteCustomVerifiersNotRun(io, node, args.binDir);
    const images = read.images(criReference);
    // The registry client is made before any look-up, so a bad registry option is one usage error.
    // Signatures are read from the registry too, unless an OCI layout holds them.
    const verifying =
      node.enabled && node.policies.has('notation') && trustStoreDir(args.trustStore) !== undefined;
    const needsRegistry =
      !args.offline &&
      node.enabled &&
      (images.some((i) => i.digest === undefined && i.invalid === undefined) ||
        (verifying && args.ociLayout === undefined));
    const registry: RegistryClient | undefined = needsRegistry
      ? await registryClient(io, args, stdinTaken)
      : undefined;
    try {
      // check's signature verification (--trust-store, --oci-layout, the node's own store).
      const signing: { verify?: SignatureVerify } = verifying
        ? await signatureSetup(io, args, [], async () => {
            if (!registry) throw new Error('internal: no registry client for signatures');
            return registry;
          })
        : {};
      const { auditImages } = await import('../verifiers/audit.ts');
      const { decideImage, DISABLED_REASON } = await import('../verifiers/containerd.ts');
      const entries: AuditEntry[] = await auditImages(images, {
        offline: args.offline,
        ...(node.enabled ? {} : { allowsAll: DISABLED_REASON }),
        jobs: args.jobs,
        mediaType: args.mediaType,
        resolve: async (name) => {
          if (!registry) throw new Error('internal: no registry client for an online audit');
          const { resolveImage } = await import('../registry/resolve.ts');
          return (await resolveImage(registry, parseImageReference(name))).descriptor;
        },
        decide: async (name, descriptor) => {
          const decided = await decideImage(name, descriptor, node, {
            ...verifierRun(io, args),
            ...(signing.verify ? { signatureVerify: signing.verify } : {}),
          });
          return withReason(decided);
        },
      });
      const summary = auditSummary(entries, read.workloads);
      io.stdout.write(auditReport(args.format, entries, summary));
      const notAllowed = entries.length - summary.allowed;
      if (notAllowed > 0)
        throw new ReportedError(
          'E_AUDIT',
          `${notAllowed} of ${entries.length} images would not be pulled as they are now`,
        );
    } finally {
      await registry?.close();
    }
  },
});
