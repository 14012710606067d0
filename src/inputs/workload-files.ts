/**
 * The workload inputs of audit and `digests add --from`: every file read (JSON, YAML or an image
 * list, detected per document), filtered by namespace and label selector, then grouped into
 * distinct images.
 */

import { UsageError } from '../errors.ts';
import type { Io } from '../io.ts';
import { warn } from '../output/messages.ts';
import { parseImageReference } from '../registry/reference.ts';
import { inputLabel, isStdin, readInput, WORKLOAD_INPUT } from './files.ts';
import {
  type AuditImage,
  distinctImages,
  type FastYaml,
  type ImageUse,
  parseSelector,
  readWorkloads,
} from './workloads.ts';

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
    describe:
      'Only workloads whose labels match (k=v, k!=v, k, !k, k in (a,b), k notin (a,b); comma-separated)',
  },
} as const;

export interface WorkloadFilterArgs {
  namespace?: string[] | undefined;
  selector?: string | undefined;
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

/**
 * The text of a file: UTF-8, or UTF-16 with its byte-order mark (what Windows PowerShell's `>`
 * writes); undefined for anything else holding NUL bytes.
 */
function decodeText(bytes: Uint8Array): string | undefined {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return new TextDecoder('utf-16le').decode(bytes);
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return new TextDecoder('utf-16be').decode(bytes);
  if (bytes.includes(0)) return undefined;
  return Buffer.from(bytes).toString('utf8');
}

/** js-yaml with YAML 1.2's core schema (as `yaml` reads) plus merge keys (as kubectl applies them). */
export async function loadFastYaml(): Promise<FastYaml> {
  const jsYaml = await import('js-yaml');
  // js-yaml exports its built-in types as `types`; @types/js-yaml does not declare them.
  const { types } = jsYaml as unknown as { types: { merge: import('js-yaml').Type } };
  const schema = jsYaml.CORE_SCHEMA.extend([types.merge]);
  return { loadAll: (text) => jsYaml.loadAll(text, undefined, { schema }) };
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
    const text = decodeText(await source.bytes());
    if (text === undefined) {
      warnings.push(`${source.label}: it is not text (it holds NUL bytes); the file is skipped`);
      continue;
    }
    const read = await readWorkloads(text, source.label, () => import('yaml'), loadFastYaml);
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
  if (filtering && uses.length === 0 && dropped === 0)
    warnings.push(
      `no workload matched${namespaces ? ` --namespace ${[...namespaces].join(', ')}` : ''}${selector ? ` --selector ${filters.selector}` : ''}`,
    );
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

/**
 * The workload files named on the command line (`-` at most once), read and filtered, each
 * warning printed: what audit and `digests add --from` read.
 */
export async function readWorkloadFiles(
  io: Io,
  files: string[],
  filters: WorkloadFilterArgs,
): Promise<CollectedWorkloads> {
  if (files.filter(isStdin).length > 1) throw new UsageError('standard input (-) can be read only once');
  const read = await collectWorkloads(
    files.map((file) => ({
      label: inputLabel(file),
      bytes: () => readInput(io, file, file, WORKLOAD_INPUT),
    })),
    filters,
  );
  for (const line of read.warnings) warn(io, line);
  return read;
}

/** CRI's reading of an image (registry/reference.ts): the name it pulls and a pinned digest, or why it refuses it. */
export function criReference(image: string): { name: string; digest?: string } | { error: string } {
  try {
    const ref = parseImageReference(image);
    return { name: ref.name, ...(ref.digest ? { digest: ref.digest } : {}) };
  } catch (err) {
    return { error: (err as Error).message };
  }
}
