/**
 * check: what the node will decide for each image — allowed, blocked or signature-required — with
 * containerd's exact texts, from the node's live policies or offline ones, and with the verifier
 * binaries of a directory run exactly as containerd's bindir plugin runs them.
 */
import { withApi } from '../api/connect.ts';
import { readLive } from '../api/write.ts';
import { CivError, InterruptedError, ReportedError, UsageError } from '../errors.ts';
import { readInput } from '../inputs/files.ts';
import { REGISTRY_OPTIONS, type RegistryArgs, registryClient } from '../inputs/registry.ts';
import { readSettingsFile, SETTINGS_FILE_OPTIONS } from '../inputs/settings-file.ts';
import { requireVerifierName } from '../inputs/verifier-name.ts';
import { type Io, interruptibly } from '../io.ts';
import { type CheckEntry, checkJson, checkText, isFailure, whyAllowed } from '../output/check.ts';
import { note, say, warn } from '../output/messages.ts';
import { checkStrictBase64, decodeBase64 } from '../policy/base64.ts';
import { trustPolicyOf } from '../policy/settings.ts';
import type { RegistryClient } from '../registry/client.ts';
import { digestError, type ImageReference } from '../registry/reference.ts';
import type { Descriptor } from '../verifiers/bindir.ts';
import type { NodePolicies, SignatureLookup } from '../verifiers/containerd.ts';
import { timerMs } from '../timers.ts';
import { parseImages } from './resolve.ts';
import { defineCommand, type GlobalArgs } from '../cli/spec.ts';

const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';

interface CheckArgs extends GlobalArgs, RegistryArgs {
  images: string[];
  policy?: string[];
  userData?: string;
  nodegroup?: string;
  nodeclass?: string;
  offline: boolean;
  mediaType: string;
  name?: string;
  digest?: string;
  binDir?: string;
  verifierTimeout: number;
  maxVerifiers: number;
  signatures: boolean;
  format: 'text' | 'json';
  verbose: boolean;
}

/** The policies to decide with: offline ones when given, else the node's. */
async function nodePolicies(io: Io, args: CheckArgs): Promise<NodePolicies> {
  const policies = new Map<string, Uint8Array>();
  if (args.userData === undefined && (args.nodegroup !== undefined || args.nodeclass !== undefined))
    throw new UsageError(
      `--${args.nodegroup !== undefined ? 'nodegroup' : 'nodeclass'} picks the settings of a --user-data file (an eksctl or Karpenter file)`,
    );
  if (args.policy === undefined && args.userData === undefined) {
    let live: Awaited<ReturnType<typeof readLive>>;
    try {
      live = await withApi(args, (client) => readLive(client, null));
    } catch (err) {
      // The binaries read their own policies: only `enabled` is missing, and on a node it is true.
      if (args.binDir === undefined || !(err instanceof CivError) || err.code !== 'E_API_UNREACHABLE')
        throw err;
      warn(io, `the node's settings cannot be read (${err.message}); deciding as if verification is enabled`);
      return { enabled: true, policies };
    }
    for (const name of Object.keys(live.plugins)) {
      const stored = trustPolicyOf(live.plugins, name);
      if (stored === undefined) continue;
      if (checkStrictBase64(stored)) {
        warn(
          io,
          `the node's ${name} trust policy is not valid base64; the node cannot write it, so it is left out`,
        );
        continue;
      }
      policies.set(name, decodeBase64(stored));
    }
    return { enabled: live.plugins['enabled'] === true, policies };
  }
  let enabled = true;
  if (args.userData !== undefined) {
    const file = await readSettingsFile(io, args.userData, {
      nodegroup: args.nodegroup,
      nodeclass: args.nodeclass,
    });
    if (file.section !== undefined) note(io, `deciding with the image-verifier settings of ${file.label}`);
    enabled = file.enabled === true;
    if (!enabled) note(io, `${file.label} does not set enabled = true: on such a node no image is verified`);
    for (const plugin of file.plugins)
      if (plugin.trustpolicy !== undefined && plugin.base64Valid)
        policies.set(plugin.name, decodeBase64(plugin.trustpolicy));
  }
  for (const pair of args.policy ?? []) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError(`--policy takes VERIFIER=FILE, not '${pair}'`);
    const name = pair.slice(0, eq);
    requireVerifierName(name, io);
    policies.set(name, await readInput(io, pair.slice(eq + 1) || '-'));
  }
  return { enabled, policies };
}

interface Target {
  image?: string;
  name: string;
  descriptor?: Descriptor;
  ref?: ImageReference;
  /** Why this image cannot be decided (its registry failed); the others still are. */
  failure?: string;
}

/** The images to decide for, checked for usage before anything is contacted. */
function plannedTargets(io: Io, args: CheckArgs): Target[] {
  if (args.name !== undefined || args.digest !== undefined) {
    if (args.name === undefined || args.digest === undefined)
      throw new UsageError('--name and --digest go together: containerd passes both');
    if (args.images.length > 0) throw new UsageError('give images, or --name and --digest, not both');
    const problem = digestError(args.digest);
    if (problem)
      throw new UsageError(`--digest '${args.digest}' is not a digest containerd can present: ${problem}`);
    warn(
      io,
      `--name/--digest: the descriptor given to verifiers has media type ${args.mediaType} and size 0`,
    );
    return [{ name: args.name, descriptor: { mediaType: args.mediaType, digest: args.digest, size: 0 } }];
  }
  if (args.images.length === 0) throw new UsageError('give at least one image, or --name and --digest');
  const refs = parseImages(args.images);
  if (!args.offline) return refs.map((ref, i) => ({ image: args.images[i]!, name: ref.name, ref }));
  const undigested = args.images.filter((_, i) => refs[i]!.digest === undefined);
  if (undigested.length > 0)
    throw new UsageError(
      `--offline needs every image with its digest (IMAGE@sha256:…); not: ${undigested.join(', ')}`,
    );
  warn(
    io,
    `--offline: the registry is not asked; the descriptor given to verifiers has media type ${args.mediaType} and size 0`,
  );
  return refs.map((ref, i) => ({
    image: args.images[i]!,
    name: ref.name,
    ref,
    descriptor: { mediaType: args.mediaType, digest: ref.digest!, size: 0 },
  }));
}

/**
 * The descriptor containerd resolves, for every target that has none yet. An image whose registry
 * fails gets a `failure` instead: one failing image must not hide the others' decisions.
 */
async function resolveTargets(planned: Target[], client: () => Promise<RegistryClient>): Promise<void> {
  const pending = planned.filter((t) => t.descriptor === undefined);
  if (pending.length === 0) return;
  const { resolveImage } = await import('../registry/resolve.ts');
  const registry = await client();
  for (const target of pending) {
    try {
      target.descriptor = (await resolveImage(registry, target.ref!)).descriptor;
    } catch (err) {
      // SIGINT/SIGTERM stop the whole command, not one image.
      if (!(err instanceof CivError) || err instanceof InterruptedError) throw err;
      target.failure = err.message;
    }
  }
}

export const checkCommand = defineCommand<CheckArgs>({
  name: 'check',
  talksTo: ['api', 'registry'],
  describe:
    'Say what the node will decide for each image (allowed, blocked or signature-required), with containerd’s texts',
  positionals: [{ name: 'images', variadic: true, describe: 'Images, as a pod spec or ctr names them' }],
  options: {
    policy: {
      type: 'string',
      array: true,
      describe: 'Decide with this policy instead of the node’s (VERIFIER=FILE, repeatable)',
    },
    'user-data': {
      type: 'string',
      describe:
        'Decide with the policies and enabled of this user-data TOML, settings JSON, eksctl ClusterConfig or Karpenter EC2NodeClass',
    },
    ...SETTINGS_FILE_OPTIONS,
    offline: {
      type: 'boolean',
      default: false,
      describe: 'Never contact a registry (every IMAGE needs its @digest)',
    },
    'media-type': {
      type: 'string',
      default: OCI_INDEX,
      describe: 'The descriptor media type when the registry is not asked',
    },
    name: {
      type: 'string',
      describe: 'The -name containerd gives the verifiers, exactly as given (with --digest)',
    },
    digest: {
      type: 'string',
      describe: 'The -digest containerd gives the verifiers, exactly as given (with --name)',
    },
    'bin-dir': { type: 'string', describe: 'Run the verifier binaries in this directory as containerd does' },
    'verifier-timeout': {
      type: 'number',
      default: 10,
      range: 'duration',
      describe: 'Seconds each verifier may run, as containerd’s per_verifier_timeout (Bottlerocket: 10)',
    },
    'max-verifiers': {
      type: 'number',
      default: -1,
      describe: 'At most this many verifiers, as containerd’s max_verifiers (-1: no limit)',
    },
    signatures: {
      type: 'boolean',
      default: false,
      describe: 'Look the image’s notation signatures up in the registry',
    },
    format: {
      alias: 'f',
      type: 'string',
      choices: ['text', 'json'],
      default: 'text',
      describe: 'Output format',
    },
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
      if (!Number.isInteger(args.maxVerifiers))
        throw new UsageError(`--max-verifiers must be a whole number, not '${args.maxVerifiers}'`);
      const node = await nodePolicies(io, args);
      await resolveTargets(planned, client);
      const custom = [...node.policies.keys()].filter((n) => n !== 'notation' && n !== 'digestion');
      if (args.binDir === undefined && custom.length > 0)
        note(
          io,
          `custom verifiers (${custom.join(', ')}) are not run without --bin-dir: give the directory that holds their binaries`,
        );
      const { decideImage } = await import('../verifiers/containerd.ts');
      const signatureLookup = args.signatures ? await signatureFinder(client) : undefined;
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
            ...(args.binDir !== undefined ? { binDir: args.binDir } : {}),
            timeoutMs: timerMs(args.verifierTimeout),
            maxVerifiers: args.maxVerifiers,
            env: io.env as NodeJS.ProcessEnv,
            interruptibly: (fn) => interruptibly(io, fn),
            ...(signatureLookup ? { signatureLookup } : {}),
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
      io.stdout.write(args.format === 'json' ? checkJson(entries) : checkText(entries, args.verbose));
      // containerd's reason for an allowed pull is the verifiers' output, often empty: say why.
      if (args.format === 'text')
        for (const entry of entries) {
          const why = isFailure(entry) ? undefined : whyAllowed(entry);
          if (why) note(io, why);
        }
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

/** notation's signature discovery, as the CLI does it (OCI referrers API, then the referrers tag schema). */
async function signatureFinder(client: () => Promise<RegistryClient>) {
  const { findSignatures } = await import('../registry/signatures.ts');
  const { matchesTrustedIdentity, noSignatureText } = await import('../verifiers/notation.ts');
  return async (artifactReference: string, trustedIdentities: string[]): Promise<SignatureLookup> => {
    const at = artifactReference.lastIndexOf('@');
    const path = artifactReference.slice(0, at);
    const slash = path.indexOf('/');
    const ref: ImageReference = {
      domain: path.slice(0, slash),
      path: path.slice(slash + 1),
      digest: artifactReference.slice(at + 1),
      name: artifactReference,
    };
    const found = await findSignatures(await client(), ref);
    if (found.length === 0) return { none: noSignatureText(artifactReference), signatures: [] };
    return {
      signatures: found.map((s) => ({
        digest: s.digest,
        envelope: s.envelope,
        ...(s.subject !== undefined ? { subject: s.subject } : {}),
        ...(s.issuer !== undefined ? { issuer: s.issuer } : {}),
        trustedIdentity: s.subjectAttributes
          ? matchesTrustedIdentity(trustedIdentities, s.subjectAttributes)
          : null,
      })),
    };
  };
}
