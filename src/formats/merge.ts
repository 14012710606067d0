/**
 * What `encode --merge-into` writes into a file's settings.image-verifier-plugins: what the file
 * had, with the verifiers named on the command line given their new policies and `enabled` set
 * only by --enable/--disable. Nothing else the file had is dropped, and whatever the merge turns
 * off or replaces is said, so a user data file never loses verification without a word.
 */
import type { PluginPolicies } from '../policy/settings.ts';

type Table = Record<string, unknown>;

export interface MergeNotice {
  level: 'warning' | 'note';
  message: string;
}

export interface MergedSubtree {
  /** The subtree to write. */
  subtree: Table;
  /** True when the file had no subtree (or not a table): write the whole subtree at once. */
  whole: boolean;
  /** Otherwise the key paths (inside the subtree) to set, and their values. */
  changes: { path: string[]; value: unknown }[];
  notices: MergeNotice[];
}

function isTable(v: unknown): v is Table {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

/** The field a plugin table keeps its policy in: the file's spelling (the API also takes trust-policy). */
function policyField(table: Table): string {
  return 'trust-policy' in table && !('trustpolicy' in table) ? 'trust-policy' : 'trustpolicy';
}

/** The file's subtree (`current`, undefined when absent) merged with the command line's policies. */
export function mergeSubtree(current: unknown, p: PluginPolicies): MergedSubtree {
  const notices: MergeNotice[] = [];
  const changes: MergedSubtree['changes'] = [];
  let subtree: Table;
  if (current === undefined || current === null) subtree = {};
  else if (isTable(current)) subtree = { ...current };
  else {
    notices.push({
      level: 'warning',
      message: `settings.image-verifier-plugins was ${JSON.stringify(current)}, not a table (the API rejects it); it is replaced`,
    });
    subtree = {};
  }
  const before = isTable(current) ? current : {};
  if (p.enabled !== undefined && before['enabled'] !== p.enabled) {
    if (before['enabled'] === true && p.enabled === false)
      notices.push({
        level: 'warning',
        message: '--disable turns image verification off: the file had enabled = true',
      });
    subtree['enabled'] = p.enabled;
    changes.push({ path: ['enabled'], value: p.enabled });
  }
  for (const [name, trustpolicy] of p.plugins) {
    const had = before[name];
    if (isTable(had)) {
      const field = policyField(had);
      const old = had[field];
      if (old === trustpolicy) continue;
      if (old !== undefined)
        notices.push({
          level: 'warning',
          message: `the ${name} trust policy the file had is replaced by the one given`,
        });
      subtree[name] = { ...had, [field]: trustpolicy };
      changes.push({ path: [name, field], value: trustpolicy });
      continue;
    }
    if (had !== undefined)
      notices.push({
        level: 'warning',
        message: `"${name}" was ${JSON.stringify(had)}, not a plugin table; it is replaced by the ${name} trust policy given`,
      });
    subtree[name] = { trustpolicy };
    changes.push({ path: [name], value: { trustpolicy } });
  }
  const kept = Object.keys(before).filter((k) => k !== 'enabled' && !p.plugins.has(k));
  if (kept.length > 0)
    notices.push({
      level: 'note',
      message: `kept what the file had for ${kept.join(', ')} (not named on the command line)`,
    });
  const hasPolicies = Object.keys(subtree).some((k) => k !== 'enabled');
  if (hasPolicies && subtree['enabled'] !== true)
    notices.push({
      level: 'note',
      message:
        subtree['enabled'] === false
          ? 'enabled = false: nodes with these settings verify no image (--enable turns verification on)'
          : 'enabled is not set (default false): nodes with these settings verify no image; add --enable to turn verification on',
    });
  return { subtree, whole: !isTable(current), changes, notices };
}
