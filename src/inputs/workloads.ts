/**
 * What a cluster runs, or is about to deploy, read from what operators have at hand:
 * `kubectl get pods -o json|yaml` (a List or one Pod, with each container's `imageID` when it
 * ran), workload manifests (Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob,
 * ReplicationController, Pod, and lists of them), `crictl images -o json`, and plain lists of
 * images. Each container becomes one image use: the image as written, the digest containerd
 * presented when it is known, and the workload that runs it. Pure: text in, uses out.
 */
import type { Document, LineCounter } from 'yaml';
import { digestError } from '../policy/digest-rule.ts';
import type { AuditImage, Workload } from '../verifiers/audit.ts';

export type { AuditImage, Workload };

export interface ImageUse {
  /** The image as the spec, the list or crictl wrote it. */
  image: string;
  /** The digest containerd presented for it, when the input says (a status imageID, crictl's repoDigests). */
  digest?: string;
  /** The workload and container that use it; absent for image lists and crictl. */
  workload?: Workload;
  /** The workload's labels, for selectors. */
  labels?: Record<string, string>;
}

export interface WorkloadRead {
  uses: ImageUse[];
  /** Documents or lines that are none of the inputs above, named with their line; they are skipped. */
  warnings: string[];
}

/** Kinds whose pod template sits at spec.template. */
const TEMPLATED = new Set([
  'Deployment',
  'StatefulSet',
  'DaemonSet',
  'ReplicaSet',
  'Job',
  'ReplicationController',
]);
export const WORKLOAD_KINDS = [...TEMPLATED, 'CronJob', 'Pod'];

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/**
 * containerd's imageID (`repo@sha256:…`, docker's `docker-pullable://repo@sha256:…`): the digest
 * part, or why it is not one containerd presents (then the image is treated as if no digest were
 * known, and the caller warns).
 */
export function digestOfImageId(imageId: unknown): { digest?: string; invalid?: string } {
  const id = str(imageId);
  if (!id) return {};
  const at = id.lastIndexOf('@');
  // A bare `sha256:…` is the image's config ID, not a digest the registry presented.
  if (at < 0) return {};
  const digest = id.slice(at + 1);
  const error = digestError(digest);
  return error === undefined ? { digest } : { invalid: `'${digest}' ${error}` };
}

interface PodSpecPlace {
  spec: unknown;
  status?: unknown;
  meta: Json;
  kind: string;
}

const CONTAINER_LISTS = [
  ['containers', 'containerStatuses'],
  ['initContainers', 'initContainerStatuses'],
  ['ephemeralContainers', 'ephemeralContainerStatuses'],
] as const;

function labelsOf(meta: Json): Record<string, string> {
  const labels = isObject(meta['labels']) ? meta['labels'] : {};
  return Object.fromEntries(Object.entries(labels).filter(([, v]) => typeof v === 'string')) as Record<
    string,
    string
  >;
}

/** The pod's controller: the owner reference marked `controller: true`, as kubectl shows it. */
function ownerOf(meta: Json): Workload['owner'] {
  const refs = Array.isArray(meta['ownerReferences']) ? meta['ownerReferences'] : [];
  const controller = refs.find((r) => isObject(r) && r['controller'] === true);
  if (!isObject(controller)) return undefined;
  const kind = str(controller['kind']);
  const name = str(controller['name']);
  return kind && name ? { kind, name } : undefined;
}

/** Every container of a pod spec (with its status when the pod ran), as image uses. */
function podSpecUses(place: PodSpecPlace, warn: (what: string) => void): ImageUse[] | string {
  if (!isObject(place.spec)) return 'it has no pod spec';
  const spec = place.spec;
  const status = isObject(place.status) ? place.status : {};
  const namespace = str(place.meta['namespace']) ?? 'default';
  const name = str(place.meta['name']) ?? '(unnamed)';
  const owner = place.kind === 'Pod' ? ownerOf(place.meta) : undefined;
  const labels = labelsOf(place.meta);
  const uses: ImageUse[] = [];
  for (const [specKey, statusKey] of CONTAINER_LISTS) {
    const containers = Array.isArray(spec[specKey]) ? spec[specKey] : [];
    const statuses = Array.isArray(status[statusKey]) ? status[statusKey].filter(isObject) : [];
    const workloadName = `${place.kind} ${namespace}/${name}`;
    containers.forEach((container: unknown, i: number) => {
      if (!isObject(container)) {
        warn(`${workloadName}: ${specKey} entry ${i + 1} is not a container; skipped`);
        return;
      }
      const containerName = str(container['name']) ?? '(unnamed)';
      const ran = statuses.find((s) => s['name'] === containerName);
      const image = str(container['image']) ?? str(ran?.['image']);
      if (!image) {
        warn(`${workloadName}: container ${containerName} names no image; skipped`);
        return;
      }
      const { digest, invalid } = digestOfImageId(ran?.['imageID']);
      if (invalid !== undefined)
        warn(
          `${workloadName}: container ${containerName}'s imageID digest ${invalid}; its digest is treated as unknown`,
        );
      uses.push({
        image,
        ...(digest ? { digest } : {}),
        workload: {
          namespace,
          kind: place.kind,
          name,
          container: containerName,
          ...(owner ? { owner } : {}),
        },
        labels,
      });
    });
  }
  return uses;
}

/**
 * One Kubernetes object (or a List of them): its uses, or why it is not one civctl reads.
 * `impliedKind` is the kind of a typed list's items (a `PodList` from the API leaves out each
 * item's kind).
 */
function objectUses(doc: Json, warn: (what: string) => void, impliedKind?: string): ImageUse[] | string {
  const kind = str(doc['kind']) ?? impliedKind;
  if (Array.isArray(doc['images']) && kind === undefined) return crictlUses(doc['images'], warn);
  if (!kind) return 'it has no kind';
  if (Array.isArray(doc['items']) && (kind === 'List' || kind.endsWith('List'))) {
    const uses: ImageUse[] = [];
    const itemKind = kind === 'List' ? undefined : kind.slice(0, -'List'.length);
    doc['items'].forEach((item, i) => {
      const got = isObject(item) ? objectUses(item, warn, itemKind) : 'it is not an object';
      if (typeof got === 'string') warn(`item ${i + 1} of the ${kind}: ${got}; skipped`);
      else uses.push(...got);
    });
    return uses;
  }
  const meta = isObject(doc['metadata']) ? doc['metadata'] : {};
  const spec = isObject(doc['spec']) ? doc['spec'] : {};
  if (kind === 'Pod') return podSpecUses({ spec: doc['spec'], status: doc['status'], meta, kind }, warn);
  if (TEMPLATED.has(kind)) {
    const template = isObject(spec['template']) ? spec['template'] : {};
    return podSpecUses({ spec: template['spec'], meta, kind }, warn);
  }
  if (kind === 'CronJob') {
    const job = isObject(spec['jobTemplate']) ? spec['jobTemplate'] : {};
    const jobSpec = isObject(job['spec']) ? job['spec'] : {};
    const template = isObject(jobSpec['template']) ? jobSpec['template'] : {};
    return podSpecUses({ spec: template['spec'], meta, kind }, warn);
  }
  return `kind ${kind} runs no containers civctl reads (${WORKLOAD_KINDS.join(', ')}, or a List)`;
}

/**
 * `crictl images -o json`: one use per tag (the name the image was pulled by), digest from
 * repoDigests. An image without a repo digest was imported, not pulled (Bottlerocket's own pause
 * image is one): containerd runs image verifiers only on pulls, so it is left out with a warning.
 */
function crictlUses(images: unknown[], warn: (what: string) => void): ImageUse[] {
  const uses: ImageUse[] = [];
  for (const entry of images) {
    if (!isObject(entry)) continue;
    const tags = (Array.isArray(entry['repoTags']) ? entry['repoTags'] : []).filter(
      (t): t is string => typeof t === 'string' && t !== '',
    );
    const digests = (Array.isArray(entry['repoDigests']) ? entry['repoDigests'] : []).filter(
      (d): d is string => typeof d === 'string' && d.includes('@'),
    );
    const repoOf = (ref: string) => ref.replace(/@.*$/, '').replace(/:[^/:]*$/, '');
    if (digests.length === 0) {
      if (tags.length > 0)
        warn(
          `${tags.join(', ')}: no repo digest, so the image was imported, not pulled; image verifiers run only on pulls, so it is left out`,
        );
      continue;
    }
    for (const tag of tags) {
      const repoDigest = digests.find((d) => repoOf(d) === repoOf(tag)) ?? digests[0];
      const { digest, invalid } = digestOfImageId(repoDigest);
      if (invalid !== undefined) warn(`${tag}: repo digest ${invalid}; its digest is treated as unknown`);
      uses.push({ image: tag, ...(digest ? { digest } : {}) });
    }
    if (tags.length === 0) for (const d of digests) uses.push({ image: d });
  }
  return uses;
}

/** A plain list: one image a line; `#` comments and blank lines ignored. */
function textListUses(text: string): ImageUse[] {
  const uses: ImageUse[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/(^|\s)#.*$/, '').trim();
    if (line !== '') uses.push({ image: line });
  }
  return uses;
}

/**
 * Whether the text is a plain image list: every line empty, a comment, or one word — and no YAML
 * document marker or null (Helm renders an empty template as `---` and a comment).
 */
function looksLikeList(text: string): boolean {
  return text
    .split(/\r?\n/)
    .every(
      (raw) =>
        /^\s*(#.*)?$/.test(raw) ||
        (/^\s*[^\s#:][^\s]*(\s+#.*)?\s*$/.test(raw) && !/^\s*(---|\.\.\.|null|~)(\s|$)/.test(raw)),
    );
}

/** The line of a character offset (JSON.parse names positions in Node 20). */
function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) line++;
  return line;
}

export interface YamlModule {
  parseAllDocuments: typeof import('yaml').parseAllDocuments;
  LineCounter: typeof import('yaml').LineCounter;
}

/**
 * js-yaml's loader: about ten times faster than `yaml` on a 10,000-pod `kubectl get pods -o yaml`
 * (13 MB: 2 s against 21 s). It gives no document positions, so it reads only inputs that need
 * no warning; anything else is read again by `yaml` for the warnings' lines.
 */
export interface FastYaml {
  loadAll: (text: string) => unknown[];
}

/** The documents read by js-yaml, or undefined when they need the exact reader. */
function fastDocuments(fast: FastYaml, text: string): unknown[] | undefined {
  try {
    return fast.loadAll(text);
  } catch {
    return undefined;
  }
}

/**
 * Reads one input. JSON is parsed natively (a 10,000-pod list is tens of megabytes); YAML streams
 * document by document with positions for the warnings. `yaml` is given by the caller, loaded only
 * when the text is not JSON.
 */
export async function readWorkloads(
  text: string,
  label: string,
  loadYaml: () => Promise<YamlModule>,
  loadFastYaml?: () => Promise<FastYaml>,
): Promise<WorkloadRead> {
  const warnings: string[] = [];
  const uses: ImageUse[] = [];
  // A byte-order mark (PowerShell, Notepad) is not part of the document.
  if (text.startsWith('\uFEFF')) text = text.slice(1);
  const trimmed = text.trimStart();
  if (trimmed === '') return { uses, warnings: [`${label}: it is empty; nothing to read`] };
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      const message = (err as Error).message;
      const position = /at position (\d+)/.exec(message);
      const where = position ? `${label}:${lineAt(text, Number(position[1]))}` : label;
      return { uses, warnings: [`${where}: it is not valid JSON (${message}); the file is skipped`] };
    }
    const documents = Array.isArray(parsed) ? parsed : [parsed];
    documents.forEach((doc, i) => {
      const where = Array.isArray(parsed) ? `${label}: element ${i + 1}` : label;
      const got = isObject(doc)
        ? objectUses(doc, (w) => warnings.push(`${where}: ${w}`))
        : 'it is not an object';
      if (typeof got === 'string') warnings.push(`${where}: ${got}; skipped`);
      else uses.push(...got);
    });
    return { uses, warnings };
  }
  if (looksLikeList(text)) return { uses: textListUses(text), warnings };
  const documents = loadFastYaml ? fastDocuments(await loadFastYaml(), text) : undefined;
  if (documents) {
    for (const value of documents) {
      if (value === null || value === undefined) continue;
      const got = isObject(value) ? objectUses(value, (w) => warnings.push(w)) : 'it is not a mapping';
      if (typeof got === 'string') warnings.push(got);
      else uses.push(...got);
    }
    if (warnings.length === 0) return { uses, warnings };
    uses.length = 0;
    warnings.length = 0;
  }
  return readYamlExactly(text, label, await loadYaml());
}

/** YAML read by `yaml`, every warning with its line. */
function readYamlExactly(text: string, label: string, yaml: YamlModule): WorkloadRead {
  const warnings: string[] = [];
  const uses: ImageUse[] = [];
  const lines = new yaml.LineCounter();
  // merge: kubectl's YAML reader applies `<<` merge keys.
  const documents = yaml.parseAllDocuments(text, { lineCounter: lines, prettyErrors: false, merge: true });
  for (const doc of Array.isArray(documents) ? documents : []) {
    const line = lineOf(doc, lines);
    const where = `${label}:${line}`;
    const error = doc.errors[0];
    if (error) {
      const at = lines.linePos(error.pos[0]);
      warnings.push(
        `${label}:${at.line}: it is not valid YAML (${error.message.split('\n')[0]}); the document is skipped`,
      );
      continue;
    }
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: 100 });
    } catch (err) {
      // An alias to another document's anchor, or an alias bomb: this document only.
      warnings.push(`${where}: ${(err as Error).message.split('\n')[0]}; the document is skipped`);
      continue;
    }
    if (value === null || value === undefined) continue;
    const got = isObject(value)
      ? objectUses(value, (w) => warnings.push(`${where}: ${w}`))
      : 'it is not a mapping';
    if (typeof got === 'string') warnings.push(`${where}: ${got}; skipped`);
    else uses.push(...got);
  }
  return { uses, warnings };
}

function lineOf(doc: Document.Parsed, lines: LineCounter): number {
  const start = doc.contents?.range?.[0] ?? doc.range[0];
  return lines.linePos(start).line;
}

/**
 * A label selector as kubectl takes it: `k=v`, `k==v`, `k!=v`, `k`, `!k`, and the set forms
 * `k in (a,b)` and `k notin (a,b)`, comma-separated (commas inside parentheses belong to a set).
 */
export function parseSelector(selector: string): ((labels: Record<string, string>) => boolean) | string {
  const tests: ((labels: Record<string, string>) => boolean)[] = [];
  const terms: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i <= selector.length; i++) {
    const c = selector[i];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if ((c === ',' && depth === 0) || i === selector.length) {
      terms.push(selector.slice(start, i));
      start = i + 1;
    }
  }
  const KEY = '[A-Za-z0-9][-A-Za-z0-9_./]*';
  const VALUE = '[-A-Za-z0-9_.]*';
  const form = `(k=v, k!=v, k, !k, k in (a,b) or k notin (a,b))`;
  for (const raw of terms) {
    const term = raw.trim();
    if (term === '') return `'${selector}' has an empty term`;
    const set = new RegExp(`^(${KEY})\\s+(in|notin)\\s*\\(([^()]*)\\)$`).exec(term);
    if (set) {
      const [, key, op, list] = set;
      const values = list!.split(',').map((v) => v.trim());
      if (values.some((v) => !new RegExp(`^${VALUE}$`).test(v)))
        return `'${term}' is not a label selector term ${form}`;
      if (op === 'in') tests.push((l) => key! in l && values.includes(l[key!]!));
      else tests.push((l) => !(key! in l) || !values.includes(l[key!]!));
      continue;
    }
    const m = new RegExp(`^(!?)(${KEY})(?:\\s*(==|=|!=)\\s*(${VALUE}))?$`).exec(term);
    if (!m) return `'${term}' is not a label selector term ${form}`;
    const [, not, key, op, value] = m;
    if (not && op) return `'${term}' is not a label selector term ${form}`;
    if (not) tests.push((l) => !(key! in l));
    else if (!op) tests.push((l) => key! in l);
    else if (op === '!=') tests.push((l) => l[key!] !== value);
    else tests.push((l) => l[key!] === value);
  }
  return (labels) => tests.every((t) => t(labels));
}

/**
 * Uses grouped into distinct images by name and digest, in the order first seen. `normalise`
 * is CRI's reference parser (registry/reference.ts): the normalised name and a digest the
 * reference pins, or the reason CRI refuses it.
 */
export function distinctImages(
  uses: ImageUse[],
  normalise: (image: string) => { name: string; digest?: string } | { error: string },
): AuditImage[] {
  const images = new Map<string, AuditImage>();
  const normalised = new Map<string, ReturnType<typeof normalise>>();
  for (const use of uses) {
    let parsed = normalised.get(use.image);
    if (!parsed) {
      parsed = normalise(use.image);
      normalised.set(use.image, parsed);
    }
    const name = 'error' in parsed ? use.image : parsed.name;
    // A reference that pins a digest is pulled by it; otherwise the digest the node reported.
    const digest = 'error' in parsed ? undefined : (parsed.digest ?? use.digest);
    const key = `${name}\u0000${digest ?? ''}`;
    let entry = images.get(key);
    if (!entry) {
      entry = {
        image: use.image,
        name,
        ...(digest ? { digest } : {}),
        ...('error' in parsed ? { invalid: parsed.error } : {}),
        workloads: [],
      };
      images.set(key, entry);
    }
    if (use.workload) entry.workloads.push(use.workload);
  }
  return [...images.values()];
}
