/**
 * check: what the node will decide for each image — allowed, blocked or signature-required — with
 * containerd's exact texts, from the node's live policies or offline ones, and with the verifier
 * binaries of a directory run exactly as containerd's bindir plugin runs them.
 */
import { CivError, InterruptedError, ReportedError } from '../errors.ts';
import { plannedTargets, resolveTargets } from '../inputs/images.ts';
import {
  nodePolicies,
  noteCustomVerifiersNotRun,
  POLICY_SOURCE_OPTIONS,
  VERIFIER_RUN_OPTIONS,
  verifierRun,
} from '../inputs/node-policies.ts';
import { registryClient } from '../inputs/registry.ts';
import { checkSignatureArgs, SIGNATURE_OPTIONS, signatureSetup } from '../inputs/trust-store.ts';
import { type CheckEntry, checkJson, checkText, isFailure, whyAllowed } from '../output/check.ts';
import { note, say, warn } from '../output/messages.ts';
import type { RegistryClient } from '../registry/client.ts';
import { signatureFinder } from '../verifiers/signature-lookup.ts';
import { defineCommand } from '../cli/spec.ts';
import { FORMAT_TEXT_JSON, REGISTRY_OPTIONS } from './options.ts';

export const checkCommand = defineCommand({
  name: 'check',
  talksTo: ['api', 'registry'],
  describe:
    'Say what the node will decide for each image (allowed, blocked or signature-required), with containerd’s texts',
  positionals: [{ name: 'images', variadic: true, describe: 'Images, as a pod spec or ctr names them' }],
  options: {
    ...POLICY_SOURCE_OPTIONS,
    name: {
      type: 'string',
      describe: 'The -name containerd gives the verifiers, exactly as given (with --digest)',
    },
    digest: {
      type: 'string',
      describe: 'The -digest containerd gives the verifiers, exactly as given (with --name)',
    },
    ...VERIFIER_RUN_OPTIONS,
    signatures: {
      type: 'boolean',
      default: false,
      describe: 'Look the image’s notation signatures up in the registry',
    },
    ...SIGNATURE_OPTIONS,
    ...FORMAT_TEXT_JSON,
    verbose: { type: 'boolean', default: false, describe: 'Each verifier’s result, output and stderr' },
    ...REGISTRY_OPTIONS,
  },
  examples: [
    ['$0 check redis:7.4.8-alpine3.21', 'What this node decides for an image'],
    [
      '$0 check --offline --policy digestion=digests.json redis@sha256:7aec734b2bb298a1d769fd8729f13b8514a41bf90fcdd1f38ec52267fbaa8ee6',
      'Offline, with a policy file',
    ],
    ['$0 check --user-data user-data.toml --format json app:v2', 'For CI: the JSON decisions'],
    [
      '$0 check --bin-dir /.bottlerocket/rootfs/opt/civ/bin redis:7',
      "On a node (admin container): run the node's own verifiers",
    ],
    [
      '$0 check --offline --oci-layout ./layout --policy notation=policy.json --trust-store ./truststore registry.example.com/app@sha256:7aec734b2bb298a1d769fd8729f13b8514a41bf90fcdd1f38ec52267fbaa8ee6',
      'Verify the signatures of an OCI layout as the node would, and say why it would block',
    ],
    [
      '$0 check --policy notation=p.json --name docker.io/library/redis:7 --digest sha256:7aec734b2bb298a1d769fd8729f13b8514a41bf90fcdd1f38ec52267fbaa8ee6',
      'Replay a pull from a kubelet event',
    ],
  ],
  run: async (args, ctx) => {
    const io = ctx.io;
    let registry: RegistryClient | undefined;
    const client = async () => {
      registry ??= await registryClient(
        io,
        args,
        args.policy?.some((p) => p.endsWith('=') || p.endsWith('=-')) ?? false,
      );
      return registry;
    };
    try {
      const planned = plannedTargets(io, args);
      checkSignatureArgs(args);
      const node = await nodePolicies(io, args);
      await resolveTargets(planned, client);
      const signing = await signatureSetup(io, args, planned, client);
      noteCustomVerifiersNotRun(io, node, args.binDir);
      const { decideImage } = await import('../verifiers/containerd.ts');
      const signatureLookup =
        args.signatures && args.ociLayout === undefined ? await signatureFinder(client) : undefined;
      const entries: CheckEntry[] = [];
      for (const target of planned) {
        const image = target.image ?? target.name;
        if (target.failure !== undefined) {
          entries.push({ image, name: target.name, failure: target.failure });
          continue;
        }
        let decided: Awaited<ReturnType<typeof decideImage>>;
        try {
          decided = await decideImage(target.name, target.descriptor!, node, {
            ...verifierRun(io, args),
            ...(signatureLookup ? { signatureLookup } : {}),
            ...(signing.verify ? { signatureVerify: signing.verify } : {}),
          });
        } catch (err) {
          // --signatures asks the registry again: its failure is this image's alone (an
          // interruption stops the whole command).
          if (!(err instanceof CivError) || err instanceof InterruptedError) throw err;
          entries.push({ image, name: target.name, failure: err.message });
          continue;
        }
        if (decided.note) warn(io, decided.note);
        const { note: _note, ...decision } = decided;
        entries.push({ ...decision, ...(target.image !== undefined ? { image: target.image } : {}) });
      }
      io.stdout.write(
        args.format === 'json' ? checkJson(entries) : checkText(entries, args.verbose, args.signatures),
      );
      // containerd's reason for an allowed pull is the verifiers' output, often empty: say why.
      if (args.format === 'text')
        for (const entry of entries) {
          const why = isFailure(entry) ? undefined : whyAllowed(entry);
          if (why) note(io, why);
        }
      signing.afterwards(entries, args.format === 'text' && !args.verbose);
      const failures = entries.filter(isFailure);
      for (const f of failures) say(io, `${f.image}: ${f.failure}`);
      if (failures.length > 0)
        throw new ReportedError(
          'E_REGISTRY',
          `${failures.length} of ${entries.length} images could not be decided`,
        );
      const blocked = entries.filter((r) => !isFailure(r) && r.decision === 'blocked').length;
      if (blocked > 0)
        throw new ReportedError('E_BLOCKED', `${blocked} of ${entries.length} images would be blocked`);
    } finally {
      await registry?.close();
    }
  },
});
