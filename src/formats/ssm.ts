/**
 * SSM Run Command input (fleet-formats.md §4): `aws ssm send-command --cli-input-json file://…`
 * running AWS-RunShellScript in the control container, where apiclient reaches the node's API.
 * Policies travel as `apiclient set KEY=BASE64` arguments: base64 holds nothing a shell reads
 * specially, and every KEY=VALUE of one apiclient set lands in one transaction.
 */
import { UsageError } from '../errors.ts';
import type { PluginPolicies } from '../policy/settings.ts';
import { ssmArgumentBudget } from './budget.ts';

export interface SsmTarget {
  Key: string;
  Values: string[];
}

/** `Key=tag:Name,Values=a,b` (the AWS CLI's shorthand) or the JSON form of one target or a list. */
export function parseTargets(specs: string[]): SsmTarget[] {
  const out: SsmTarget[] = [];
  for (const spec of specs) {
    const text = spec.trim();
    if (text.startsWith('{') || text.startsWith('[')) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        throw new UsageError(`--targets '${spec}' is not valid JSON`);
      }
      for (const t of Array.isArray(parsed) ? parsed : [parsed]) {
        const target = t as { Key?: unknown; Values?: unknown };
        if (
          typeof target.Key !== 'string' ||
          !Array.isArray(target.Values) ||
          !target.Values.every((v) => typeof v === 'string')
        )
          throw new UsageError(
            `--targets '${spec}': each target needs a string Key and a list of string Values`,
          );
        out.push({ Key: target.Key, Values: target.Values as string[] });
      }
      continue;
    }
    const m = /^Key=([^,]+),Values=(.+)$/.exec(text);
    if (!m)
      throw new UsageError(
        `--targets '${spec}' is not Key=KEY,Values=V1,V2 (e.g. Key=tag:eks:cluster-name,Values=prod)`,
      );
    out.push({ Key: m[1]!, Values: m[2]!.split(',') });
  }
  if (out.length > 5) throw new UsageError(`SSM takes at most 5 targets, not ${out.length}`);
  return out;
}

const INSTANCE_ID = /^(?:i|mi)-[0-9a-f]{8,17}$/;

export function checkInstanceIds(ids: string[]): string[] {
  for (const id of ids)
    if (!INSTANCE_ID.test(id))
      throw new UsageError(
        `'${id}' is not an EC2 instance ID (i-0123456789abcdef0) or a managed node ID (mi-…)`,
      );
  if (ids.length > 50)
    throw new UsageError(
      `send-command takes at most 50 instance IDs, not ${ids.length}; use --targets with a tag`,
    );
  return ids;
}

/** The apiclient set arguments: one KEY=VALUE per setting, enabled last. */
export function apiclientArguments(p: PluginPolicies): string[] {
  const args = [...p.plugins].map(
    ([name, b64]) => `settings.image-verifier-plugins.${name}.trustpolicy=${b64}`,
  );
  if (p.enabled !== undefined) args.push(`settings.image-verifier-plugins.enabled=${p.enabled}`);
  for (const arg of args) ssmArgumentBudget(arg);
  return args;
}

export function renderSsm(p: PluginPolicies, where: { targets: SsmTarget[]; instanceIds: string[] }): string {
  const args = apiclientArguments(p);
  const input = {
    DocumentName: 'AWS-RunShellScript',
    Comment: 'civctl: image-verifier trust policies',
    ...(where.instanceIds.length > 0 ? { InstanceIds: where.instanceIds } : {}),
    ...(where.targets.length > 0 ? { Targets: where.targets } : {}),
    // Enabling or disabling restarts containerd: roll out gradually, and stop at the first failure.
    MaxConcurrency: '10%',
    MaxErrors: '0',
    Parameters: {
      commands: [
        'set -eu',
        `apiclient set ${args.join(' ')}`,
        'apiclient get settings.image-verifier-plugins',
      ],
      executionTimeout: ['120'],
    },
  };
  return JSON.stringify(input, null, 2) + '\n';
}
