/**
 * What rolling a node back would delete: Bottlerocket's downgrade migrations for these settings
 * (bottlerocket-api.md §3.3). Going below 1.63.0 removes the whole settings.image-verifier-plugins
 * tree unless the variant is an ECS one; going below 1.56.0 keeps only `enabled` and `notation`.
 * The forward migrations change nothing, so nothing comes back by upgrading again.
 */
import { compareVersions, describeOs, type OsInfo } from './variants.ts';

export interface RollbackLoss {
  /** Rolling back below this version deletes `deletes`. */
  below: string;
  deletes: string[];
  keeps: string[];
  text: string;
}

const KEPT_BELOW_1_56 = new Set(['enabled', 'notation']);

/** The settings a rollback of this node would delete, from /os and the settings after a write. */
export function rollbackLosses(os: OsInfo | undefined, plugins: Record<string, unknown>): RollbackLoss[] {
  const variant = os?.variant_id;
  const version = os?.version_id;
  const configured = Object.keys(plugins).sort();
  if (!variant || !version || configured.length === 0) return [];
  const node = describeOs(os);
  const save = 'save them first (civctl get --raw > FILE) and restore them with civctl apply FILE';
  if (!variant.startsWith('aws-ecs-')) {
    if (compareVersions(version, '1.63.0') < 0) return [];
    return [
      {
        below: '1.63.0',
        deletes: configured,
        keeps: [],
        text: `rolling this node (${node}) back below Bottlerocket 1.63.0 deletes every image-verifier setting (${configured.join(', ')}): no image is verified after it; ${save} once the node runs 1.63.0 or later again`,
      },
    ];
  }
  if (compareVersions(version, '1.56.0') < 0) return [];
  const deletes = configured.filter((k) => !KEPT_BELOW_1_56.has(k));
  if (deletes.length === 0) return [];
  const keeps = configured.filter((k) => KEPT_BELOW_1_56.has(k));
  return [
    {
      below: '1.56.0',
      deletes,
      keeps,
      text: `rolling this node (${node}) back below Bottlerocket 1.56.0 deletes the ${deletes.join(', ')} ${deletes.length === 1 ? 'verifier' : 'verifiers'}${keeps.length > 0 ? ` and keeps only ${keeps.join(' and ')}` : ''}; ${save} once the node runs 1.56.0 or later again`,
    },
  ];
}
