/**
 * The workload inputs of audit and `digests add --from`: every file read (JSON, YAML or an image
 * list, detected per document), filtered by namespace and label selector, then grouped into
 * distinct images.
 */
import { UsageError } from '../errors.ts';
import type { OptionSpec } from '../commands/spec.ts';
import { type AuditImage, distinctImages, type ImageUse, parseSelector, readWorkloads } from './workloads.ts';

export const WORKLOAD_FILTER_OPTIONS = {
  namespace: {
    alias: 'n',
    type: 'string',
    array: true,
    describe: 'Only workloads in this namespace (repeatable); image lists and crictl output have none',
  },
  selector: {
    alias: 'l',
    type: 'string',
    describe: 'Only workloads whose labels match (k=v, k!=v, k, !k; comma-separated)',
  },
} satisfies Record<string, OptionSpec>;

export interface WorkloadFilterArgs {
  namespace?: string[];
  selector?: string;
}

export interface WorkloadSource {
  label: string;
  bytes: () => Promise<Uint8Array>;
}

export interface CollectedWorkloads {
  warnings: string[];
  /** (workload, container) pairs read, after the filters. */
  workloads: number;
  uses: ImageUse[];
  /** The distinct images, named by CRI's normaliser. */
  images(normalise: Parameters<typeof distinctImages>[1]): AuditImage[];
}

export async function collectWorkloads(
  sources: WorkloadSource[],
  filters: WorkloadFilterArgs,
): Promise<CollectedWorkloads> {
  const selector = filters.selector === undefined ? undefined : parseSelector(filters.selector);
  if (typeof selector === 'string') throw new UsageError(`--selector: ${selector}`);
  const namespaces = filters.namespace === undefined ? undefined : new Set(filters.namespace);
  const filtering = namespaces !== undefined || selector !== undefined;
  const warnings: string[] = [];
  const uses: ImageUse[] = [];
  let dropped = 0;
  for (const source of sources) {
    const text = Buffer.from(await source.bytes()).toString('utf8');
    const read = await readWorkloads(text, source.label, () => import('yaml'));
    warnings.push(...read.warnings);
    for (const use of read.uses) {
      if (filtering) {
        if (!use.workload) {
          dropped++;
          continue;
        }
        if (namespaces && !namespaces.has(use.workload.namespace)) continue;
        if (selector && !selector(use.labels ?? {})) continue;
      }
      uses.push(use);
    }
  }
  if (dropped > 0)
    warnings.push(
      `${dropped} image${dropped === 1 ? '' : 's'} from image lists or crictl output left out: --namespace and --selector keep only workloads`,
    );
  return {
    warnings,
    workloads: uses.filter((u) => u.workload).length,
    uses,
    images: (normalise) => distinctImages(uses, normalise),
  };
}
