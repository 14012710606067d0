/**
 * Karpenter EC2NodeClass files (fleet-formats.md §2): `spec.userData` holds user-data TOML, which
 * Karpenter parses and re-marshals, keeping every settings table it does not own. civctl prints a
 * NodeClass, or merges the policies into the image-verifier tables of the user's `spec.userData`.
 */
import { Document, isMap, Scalar, type YAMLMap } from 'yaml';
import { CivError } from '../errors.ts';
import type { PluginPolicies } from '../policy/settings.ts';
import { type MergedUserData, mergeUserData, renderUserData } from './userdata.ts';
import { applyEdit, readsAs, setInEdit } from './yaml-edit.ts';
import { kindOf, parseYamlStream, writeYamlStream } from './yaml-docs.ts';

/** amiFamily values whose nodes run Bottlerocket (Custom: the user data is passed verbatim). */
const BOTTLEROCKET_FAMILIES = ['Bottlerocket', 'Custom'];

function blockLiteral(text: string): Scalar {
  const scalar = new Scalar(text);
  scalar.type = Scalar.BLOCK_LITERAL;
  return scalar;
}

/** A Bottlerocket EC2NodeClass whose user data holds the policies. */
export function renderKarpenter(p: PluginPolicies, name: string): string {
  const doc = new Document({
    apiVersion: 'karpenter.k8s.aws/v1',
    kind: 'EC2NodeClass',
    metadata: { name },
    spec: {
      amiFamily: 'Bottlerocket',
      amiSelectorTerms: [{ alias: 'bottlerocket@latest' }],
    },
  });
  const spec = doc.get('spec') as YAMLMap;
  spec.set('userData', blockLiteral(renderUserData(p)));
  spec.commentBefore =
    ' Add role, subnetSelectorTerms and securityGroupSelectorTerms for your cluster, or merge into your own NodeClass with --merge-into';
  return doc.toString({ lineWidth: 0 });
}

export interface KarpenterNodeClass {
  name: string;
  /** The metadata.name node, or the document's root, for positions. */
  nameNode: unknown;
  doc: Document.Parsed;
  docIndex: number;
  spec: YAMLMap | undefined;
  amiFamily: string | undefined;
  alias: string | undefined;
}

export function karpenterNodeClasses(docs: Document.Parsed[]): KarpenterNodeClass[] {
  const out: KarpenterNodeClass[] = [];
  for (const [docIndex, doc] of docs.entries()) {
    if (kindOf(doc) !== 'EC2NodeClass') continue;
    const name = doc.getIn(['metadata', 'name']);
    const spec = doc.get('spec');
    const family = doc.getIn(['spec', 'amiFamily']);
    const alias = doc.getIn(['spec', 'amiSelectorTerms', 0, 'alias']);
    out.push({
      name: typeof name === 'string' ? name : '(unnamed)',
      nameNode: doc.getIn(['metadata', 'name'], true) ?? doc.contents,
      doc,
      docIndex,
      spec: isMap(spec) ? spec : undefined,
      amiFamily: typeof family === 'string' ? family : undefined,
      alias: typeof alias === 'string' ? alias : undefined,
    });
  }
  return out;
}

export function runsBottlerocket(nc: KarpenterNodeClass): boolean {
  if (nc.amiFamily !== undefined) return BOTTLEROCKET_FAMILIES.includes(nc.amiFamily);
  return nc.alias?.startsWith('bottlerocket@') ?? false;
}

export interface MergedKarpenter {
  text: string;
  nodeClasses: string[];
  userData: Map<string, MergedUserData>;
  /** False when the file had to be printed anew (its layout outside userData may have changed). */
  preserved: boolean;
}

/**
 * The user's EC2NodeClass(es) with the policies merged into spec.userData (formats/userdata.ts):
 * only the userData text is replaced in the file, so every other line stays byte for byte; the
 * result is proven by parsing it, else printed anew through the YAML library (preserved: false).
 */
export function mergeKarpenter(original: string, p: PluginPolicies, only?: string): MergedKarpenter {
  const stream = parseYamlStream(original);
  const all = karpenterNodeClasses(stream.documents);
  if (all.length === 0) throw new CivError('E_FLEET_FILE', 'it holds no Karpenter EC2NodeClass');
  const chosen = only !== undefined ? all.filter((nc) => nc.name === only) : all.filter(runsBottlerocket);
  if (only !== undefined && chosen.length === 0)
    throw new CivError(
      'E_FLEET_FILE',
      `it has no EC2NodeClass named '${only}' (it has ${all.map((nc) => nc.name).join(', ')})`,
    );
  if (chosen.length === 0)
    throw new CivError(
      'E_FLEET_FILE',
      'it has no Bottlerocket EC2NodeClass (amiFamily: Bottlerocket, or an amiSelectorTerms alias bottlerocket@…)',
    );
  const expected = stream.documents.map((d) => d.toJS() as Record<string, unknown>);
  const userData = new Map<string, MergedUserData>();
  for (const nc of chosen) {
    if (!runsBottlerocket(nc))
      throw new CivError(
        'E_FLEET_FILE',
        `EC2NodeClass '${nc.name}' does not run Bottlerocket (amiFamily ${nc.amiFamily ?? 'unset'}); its user data would not be Bottlerocket settings`,
      );
    if (!nc.spec) throw new CivError('E_FLEET_FILE', `EC2NodeClass '${nc.name}' has no spec`);
    const current = nc.spec.get('userData');
    if (current !== undefined && typeof current !== 'string')
      throw new CivError(
        'E_FLEET_FILE',
        `EC2NodeClass '${nc.name}' has a spec.userData that is not a string`,
      );
    let merged: MergedUserData;
    try {
      merged = mergeUserData(current ?? '', p);
    } catch (err) {
      throw new CivError(
        'E_FLEET_FILE',
        `the spec.userData of EC2NodeClass '${nc.name}' ${(err as Error).message}`,
      );
    }
    userData.set(nc.name, merged);
    const js = expected[nc.docIndex]!;
    js['spec'] = { ...(js['spec'] as Record<string, unknown>), userData: merged.text };
  }
  let text: string | undefined = original;
  for (const nc of chosen) {
    if (text === undefined) break;
    const now: KarpenterNodeClass | undefined = karpenterNodeClasses(parseYamlStream(text).documents).find(
      (c) => c.docIndex === nc.docIndex,
    );
    const edit: ReturnType<typeof setInEdit> = now?.spec
      ? setInEdit(text, now.doc, now.spec, ['userData'], blockLiteral(userData.get(nc.name)!.text))
      : undefined;
    text = edit ? applyEdit(text, edit) : undefined;
  }
  const preserved = text !== undefined && readsAs(text, expected);
  if (!preserved) {
    for (const nc of chosen) nc.spec!.set('userData', blockLiteral(userData.get(nc.name)!.text));
    text = writeYamlStream(stream);
    if (!readsAs(text, expected))
      throw new CivError(
        'E_FLEET_FILE',
        `the spec of EC2NodeClass ${chosen.map((nc) => nc.name).join(', ')} is shared through a YAML anchor with something the merge must not change; write it out in full`,
      );
  }
  return { text: text!, nodeClasses: chosen.map((nc) => nc.name), userData, preserved };
}
