/**
 * eksctl ClusterConfig files (fleet-formats.md §1): image-verifier settings live under each
 * Bottlerocket nodegroup's `bottlerocket.settings` as nested maps (eksctl adds the `settings.`
 * prefix and turns every map into a TOML table). civctl prints the nodegroup fragment, or replaces
 * the subtree in the user's file, in every Bottlerocket nodegroup or the one named.
 */
import { Document, isMap, isSeq, type YAMLMap } from 'yaml';
import { imageVerifierPluginsObject, type PluginPolicies } from '../policy/settings.ts';
import { kindOf, parseYamlStream, subtreeNode, writeYamlStream } from './yaml-docs.ts';
import { stringify as stringifyToml } from 'smol-toml';
import { CivError } from '../errors.ts';

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
}

/** Every nodegroup of every ClusterConfig in the stream. */
export function eksctlNodegroups(docs: Document.Parsed[]): EksctlNodegroup[] {
  const out: EksctlNodegroup[] = [];
  for (const doc of docs) {
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
}

/** The user's ClusterConfig with the subtree replaced in its Bottlerocket nodegroups. */
export function mergeEksctl(original: string, p: PluginPolicies, only?: string): MergedEksctl {
  const stream = parseYamlStream(original);
  if (!stream.documents.some((d) => kindOf(d) === 'ClusterConfig'))
    throw new CivError('E_FLEET_FILE', 'it holds no eksctl ClusterConfig (kind: ClusterConfig)');
  const all = eksctlNodegroups(stream.documents);
  let chosen: EksctlNodegroup[];
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
    chosen = [named];
  } else {
    chosen = all.filter((g) => BOTTLEROCKET_AMI_FAMILIES.includes(g.amiFamily ?? ''));
    if (chosen.length === 0)
      throw new CivError(
        'E_FLEET_FILE',
        'it has no nodegroup with amiFamily: Bottlerocket or BottlerocketFips; add one, or name it with --nodegroup',
      );
  }
  const userData = new Map<string, string>();
  for (const group of chosen) {
    const doc = group.doc;
    const subtree = imageVerifierPluginsObject(p);
    if (!isMap(group.node.get('bottlerocket'))) group.node.set('bottlerocket', doc.createNode({}));
    const bottlerocket = group.node.get('bottlerocket') as YAMLMap;
    if (!isMap(bottlerocket.get('settings'))) bottlerocket.set('settings', doc.createNode({}));
    const settings = bottlerocket.get('settings') as YAMLMap;
    if (Object.keys(subtree).length > 0) settings.set('image-verifier-plugins', subtreeNode(doc, subtree));
    else settings.delete('image-verifier-plugins');
    const plain = settings.toJSON() as Record<string, unknown>;
    userData.set(group.name, stringifyToml({ settings: plain }));
  }
  return { text: writeYamlStream(stream), nodegroups: chosen.map((g) => g.name), userData };
}
