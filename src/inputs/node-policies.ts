/**
 * The policies check decides with, and the options that choose them: the node's live policies, or
 * offline ones (--policy files, a --user-data / settings JSON / eksctl / Karpenter file), and how
 * the verifiers run (--bin-dir, containerd's timeout and verifier count).
 */
import type { ApiTarget } from '../api/connect.ts';
import { withApi } from '../api/connect.ts';
import { readLive } from '../api/write.ts';
import { CivError, UsageError } from '../errors.ts';
import { timerMs } from '../timers.ts';
import { interruptibly, type Io } from '../io.ts';
import { note, warn } from '../output/messages.ts';
import { checkStrictBase64, decodeBase64 } from '../policy/base64.ts';
import { verifierKind } from '../policy/names.ts';
import { trustPolicyOf } from '../policy/settings.ts';
import { OCI_INDEX } from '../registry/oci.ts';
import type { CheckOptions, NodePolicies } from '../verifiers/containerd.ts';
import { readInput } from './files.ts';
import { readSettingsFile, SETTINGS_FILE_OPTIONS } from './settings-file.ts';
import { requireVerifierName } from './verifier-name.ts';

/** Whose policies decide, and what descriptor stands in when no registry is asked. */
export const POLICY_SOURCE_OPTIONS = {
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
} as const;

/** How the verifiers run, as containerd runs them. */
export const VERIFIER_RUN_OPTIONS = {
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
    whole: true,
    describe: 'At most this many verifiers, as containerd’s max_verifiers (-1: no limit)',
  },
} as const;

/** How a node's decision is made: whose policies, which verifiers; shared by the commands that decide. */
export const DECISION_OPTIONS = { ...POLICY_SOURCE_OPTIONS, ...VERIFIER_RUN_OPTIONS } as const;

/** What nodePolicies reads of the parsed arguments. */
export interface NodePolicyArgs extends ApiTarget {
  policy?: string[] | undefined;
  userData?: string | undefined;
  nodegroup?: string | undefined;
  nodeclass?: string | undefined;
  binDir?: string | undefined;
}

/** The parsed DECISION_OPTIONS, as the commands that decide (check, audit) receive them. */
export interface DecisionArgs extends NodePolicyArgs {
  offline: boolean;
  mediaType: string;
  verifierTimeout: number;
  maxVerifiers: number;
}

/** How the verifiers run for decideImage, from VERIFIER_RUN_OPTIONS: containerd's bindir settings. */
export function verifierRun(
  io: Io,
  args: DecisionArgs,
): Pick<CheckOptions, 'binDir' | 'timeoutMs' | 'maxVerifiers' | 'env' | 'interruptibly'> {
  return {
    ...(args.binDir !== undefined ? { binDir: args.binDir } : {}),
    timeoutMs: timerMs(args.verifierTimeout),
    maxVerifiers: args.maxVerifiers,
    env: io.env as NodeJS.ProcessEnv,
    interruptibly: (fn) => interruptibly(io, fn),
  };
}

/** The policies to decide with: offline ones when given, else the node's. */
export async function nodePolicies(io: Io, args: NodePolicyArgs): Promise<NodePolicies> {
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

/**
 * A note when the policies name custom verifiers that the built-in models cannot stand for: they
 * are run only from their binaries (--bin-dir).
 */
export function noteCustomVerifiersNotRun(io: Io, node: NodePolicies, binDir: string | undefined): void {
  const custom = [...node.policies.keys()].filter((n) => verifierKind(n) === 'custom');
  if (binDir === undefined && custom.length > 0)
    note(
      io,
      `custom verifiers (${custom.join(', ')}) are not run without --bin-dir: give the directory that holds their binaries`,
    );
}
