/**
 * eksctl ClusterConfig files (fleet-formats.md §1): image-verifier settings live under each
 * Bottlerocket nodegroup's `bottlerocket.settings` as nested maps (eksctl adds the `settings.`
 * prefix and turns every map into a TOML table). civctl prints the nodegroup fragment, or merges
 * the policies into the user's file, in every Bottlerocket nodegroup or the one named.
 */
import { Document, isMap, isSeq, type YAMLMap } from 'yaml';
import { imageVerifierPluginsObject, type PluginPolicies } from '../policy/settings.ts';
import { kindOf, parseYamlStream, subtreeNode, writeYamlStream, type YamlStream } from './yaml-docs.ts';
import { stringify as stringifyToml } from 'smol-toml';
import { CivError } from '../errors.ts';
import { type MergedSubtree, type MergeNotice, mergeSubtree } from './merge.ts';
import { applyEdit, readsAs, setInEdit } from './yaml-edit.ts';

export const BOTTLEROCKET_AMI_FAMILIES = ['Bottlerocket', 'BottlerocketFips'];
const NODEGROUP_LISTS = ['nodeGroups', 'managedNodeGroups'] as const;

/** The `bottlerocket:` block of a nodegroup, ready to paste under `- name: …`. */
export function renderEksctlFragment(p: PluginPolicies): string {
  const doc = new Document({ bottlerocket: { settings: {} } });
  doc.setIn(
    ['bottlerocket', 'settings', 'image-verifier-plugins'],
    subtreeNode(doc, imageVerifierPluginsObject(p)),
  );
  doc.commentBefore =
    ' civctl: image-verifier settings for an eksctl nodegroup (amiFamily: Bottlerocket or BottlerocketFips)';
  return doc.toString({ lineWidth: 0 });
}

export interface EksctlNodegroup {
  list: (typeof NODEGROUP_LISTS)[number];
  name: string;
  amiFamily: string | undefined;
  node: YAMLMap;
  doc: Document.Parsed;
  /** Where it is: the document's index in the stream, and the item's index in its list. */
  docIndex: number;
  index: number;
}

/** Every nodegroup of every ClusterConfig in the stream. */
export function eksctlNodegroups(docs: Document.Parsed[]): EksctlNodegroup[] {
  const out: EksctlNodegroup[] = [];
  for (const [docIndex, doc] of docs.entries()) {
    if (kindOf(doc) !== 'ClusterConfig' || !isMap(doc.contents)) continue;
    // In the file's order, so that messages list nodegroups as the user reads them.
    const lists = doc.contents.items
      .map((pair) => String((pair.key as { value?: unknown } | null)?.value ?? pair.key))
      .filter((key): key is (typeof NODEGROUP_LISTS)[number] =>
        (NODEGROUP_LISTS as readonly string[]).includes(key),
      );
    for (const list of lists) {
      const seq = doc.get(list);
      if (!isSeq(seq)) continue;
      for (const item of seq.items) {
        if (!isMap(item)) continue;
        const name = item.get('name');
        const family = item.get('amiFamily');
        out.push({
          list,
          name: typeof name === 'string' ? name : `${list}[${seq.items.indexOf(item)}]`,
          amiFamily: typeof family === 'string' ? family : undefined,
          node: item,
          doc,
          docIndex,
          index: seq.items.indexOf(item),
        });
      }
    }
  }
  return out;
}

export interface MergedEksctl {
  text: string;
  nodegroups: string[];
  /** Per nodegroup: the TOML eksctl will render from its settings, for the size budget. */
  userData: Map<string, string>;
  /** Per nodegroup: what the merge replaced, turned off or kept. */
  notices: Map<string, MergeNotice[]>;
  /** False when the file had to be printed anew (its layout outside the subtree may have changed). */
  preserved: boolean;
}

const SUBTREE = ['bottlerocket', 'settings', 'image-verifier-plugins'];

/** The nodegroups a merge writes: every Bottlerocket one, or the one named. */
function chosenNodegroups(all: EksctlNodegroup[], only: string | undefined): EksctlNodegroup[] {
  if (only !== undefined) {
    const named = all.find((g) => g.name === only);
    if (!named)
      throw new CivError(
        'E_FLEET_FILE',
        `it has no nodegroup named '${only}'${all.length > 0 ? ` (it has ${all.map((g) => g.name).join(', ')})` : ''}`,
      );
    if (!BOTTLEROCKET_AMI_FAMILIES.includes(named.amiFamily ?? ''))
      throw new CivError(
        'E_FLEET_FILE',
        `nodegroup '${only}' has amiFamily ${named.amiFamily ?? '(unset: eksctl’s default, not Bottlerocket)'}; image-verifier settings need amiFamily Bottlerocket or BottlerocketFips`,
      );
    return [named];
  }
  const chosen = all.filter((g) => BOTTLEROCKET_AMI_FAMILIES.includes(g.amiFamily ?? ''));
  if (chosen.length === 0)
    throw new CivError(
      'E_FLEET_FILE',
      'it has no nodegroup with amiFamily: Bottlerocket or BottlerocketFips; add one, or name it with --nodegroup',
    );
  return chosen;
}

type Table = Record<string, unknown>;
const asTable = (v: unknown): Table =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Table) : {};

/** A nodegroup's place in the plain values of a stream. */
function nodegroupJs(docs: unknown[], g: EksctlNodegroup): Table {
  return asTable((asTable(docs[g.docIndex])[g.list] as unknown[])[g.index]);
}

/**
 * The user's ClusterConfig with the image-verifier settings of its Bottlerocket nodegroups merged
 * (formats/merge.ts): only the text of what changes is edited, so every other line — flow mappings,
 * aliases, comments — stays byte for byte; the result is proven by parsing it. A form the edits
 * cannot reach is printed anew through the YAML library instead (preserved: false).
 */
export function mergeEksctl(original: string, p: PluginPolicies, only?: string): MergedEksctl {
  const stream = parseYamlStream(original);
  if (!stream.documents.some((d) => kindOf(d) === 'ClusterConfig'))
    throw new CivError('E_FLEET_FILE', 'it holds no eksctl ClusterConfig (kind: ClusterConfig)');
  const all = eksctlNodegroups(stream.documents);
  const chosen = chosenNodegroups(all, only).map((g) => all.indexOf(g));
  // What the merge must give, on plain values.
  const expected = stream.documents.map((d) => d.toJS() as unknown);
  const merges = new Map<number, MergedSubtree>();
  for (const k of chosen) {
    const js = nodegroupJs(expected, all[k]!);
    const merged = mergeSubtree(
      asTable(asTable(js['bottlerocket'])['settings'])['image-verifier-plugins'],
      p,
    );
    merges.set(k, merged);
    const bottlerocket = { ...asTable(js['bottlerocket']) };
    js['bottlerocket'] = bottlerocket;
    bottlerocket['settings'] = {
      ...asTable(bottlerocket['settings']),
      'image-verifier-plugins': merged.subtree,
    };
  }
  let text: string | undefined = original;
  for (const k of chosen) {
    // From the text as edited so far: a nodegroup sharing an anchor already edited needs nothing more.
    let changes: { path: string[]; value: unknown }[] | undefined;
    for (;;) {
      if (text === undefined) break;
      const now: YamlStream = parseYamlStream(text);
      const group = eksctlNodegroups(now.documents)[k]!;
      if (changes === undefined) {
        const js = nodegroupJs(
          now.documents.map((d) => d.toJS() as unknown),
          group,
        );
        const merged = mergeSubtree(
          asTable(asTable(js['bottlerocket'])['settings'])['image-verifier-plugins'],
          p,
        );
        changes = merged.whole ? [{ path: [], value: merged.subtree }] : merged.changes;
      }
      const change = changes.shift();
      if (!change) break;
      const edit = setInEdit(text, group.doc, group.node, [...SUBTREE, ...change.path], change.value);
      text = edit ? applyEdit(text, edit) : undefined;
    }
  }
  const preserved = text !== undefined && readsAs(text, expected);
  if (!preserved) {
    text = reprinted(original, chosen, merges);
    if (!readsAs(text, expected))
      throw new CivError(
        'E_FLEET_FILE',
        `the settings of nodegroup ${chosen.map((k) => all[k]!.name).join(', ')} are shared through a YAML anchor with something the merge must not change; merge into every nodegroup that shares them, or write them out in full`,
      );
  }
  const userData = new Map<string, string>();
  const notices = new Map<string, MergeNotice[]>();
  for (const k of chosen) {
    const settings = asTable(asTable(nodegroupJs(expected, all[k]!)['bottlerocket'])['settings']);
    userData.set(all[k]!.name, stringifyToml({ settings }));
    notices.set(all[k]!.name, merges.get(k)!.notices);
  }
  return { text: text!, nodegroups: chosen.map((k) => all[k]!.name), userData, notices, preserved };
}

/** The fallback: the subtree set through the YAML library, which prints the whole stream anew. */
function reprinted(original: string, chosen: number[], merges: Map<number, MergedSubtree>): string {
  const stream = parseYamlStream(original);
  const all = eksctlNodegroups(stream.documents);
  for (const k of chosen) {
    const group = all[k]!;
    const subtree = merges.get(k)!.subtree;
    if (!isMap(group.node.get('bottlerocket'))) group.node.set('bottlerocket', group.doc.createNode({}));
    const bottlerocket = group.node.get('bottlerocket') as YAMLMap;
    if (!isMap(bottlerocket.get('settings'))) bottlerocket.set('settings', group.doc.createNode({}));
    const settings = bottlerocket.get('settings') as YAMLMap;
    settings.set('image-verifier-plugins', subtreeNode(group.doc, subtree));
  }
  return writeYamlStream(stream);
}
