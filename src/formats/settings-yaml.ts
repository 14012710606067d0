/**
 * The image-verifier settings an eksctl ClusterConfig or a Karpenter EC2NodeClass file gives its
 * nodes: one section per nodegroup (`bottlerocket.settings`) or NodeClass (`spec.userData`), read
 * with the same checks as user data and every position in the YAML file. lint reports every
 * section; check, decode and apply take one (`--nodegroup`, `--nodeclass`).
 */
import { type Document, isAlias, isMap, isPair, isScalar, type Node, Scalar } from 'yaml';
import { stringify as stringifyToml } from 'smol-toml';
import {
  checkPluginsSection,
  type Locate,
  type Position,
  parseSettingsFile,
  type SettingsFile,
  SettingsFileError,
} from './read-settings.ts';
import { BOTTLEROCKET_AMI_FAMILIES, eksctlNodegroups } from './eksctl.ts';
import { karpenterNodeClasses, runsBottlerocket } from './karpenter.ts';
import { positionOf, type YamlStream } from './yaml-docs.ts';

export type FleetTool = 'eksctl' | 'karpenter';

export interface FleetSection {
  tool: FleetTool;
  /** The nodegroup's or NodeClass's name. */
  name: string;
  /** `nodegroup NAME` or `EC2NodeClass NAME`, for messages. */
  label: string;
  /** Whether its nodes run Bottlerocket (amiFamily, or a bottlerocket@ AMI alias). */
  bottlerocket: boolean;
  /** Where the section is written: its image-verifier settings, else its name. */
  at: Position;
  /** The settings, positions in the YAML file; an error when Karpenter could not read its user data. */
  settings: SettingsFile | SettingsFileError;
  /** Whether the section writes image-verifier-plugins at all. */
  hasPlugins: boolean;
  /** Bytes of the user data the tool renders from it (eksctl: its TOML; Karpenter: userData). */
  userDataBytes: number;
}

/** A node, through an alias to what it names. */
function deref(doc: Document.Parsed, node: unknown): unknown {
  return isAlias(node) ? node.resolve(doc) : node;
}

function pairOf(map: unknown, key: string) {
  return isMap(map) ? map.items.find((p) => isPair(p) && isScalar(p.key) && p.key.value === key) : undefined;
}

/** Where a scalar's text starts (inside its quotes; a block scalar's first content line). */
function contentPosition(stream: YamlStream, node: unknown): Position {
  const at = positionOf(stream.lines, node);
  if (!isScalar(node)) return at;
  if (node.type === Scalar.QUOTE_DOUBLE || node.type === Scalar.QUOTE_SINGLE)
    return { line: at.line, column: at.column + 1 };
  if (node.type === Scalar.BLOCK_LITERAL || node.type === Scalar.BLOCK_FOLDED) {
    const line = stream.text.split('\n')[at.line] ?? '';
    return { line: at.line + 1, column: line.length - line.trimStart().length + 1 };
  }
  return at;
}

/** Finds keys and values inside an image-verifier-plugins map of a YAML document. */
function yamlLocator(
  stream: YamlStream,
  doc: Document.Parsed,
  section: unknown,
  sectionKey: unknown,
): Locate {
  const walk = (path: string[]) => {
    let node: unknown = deref(doc, section);
    let key: unknown = sectionKey;
    let value: unknown;
    let exact = true;
    for (const segment of path) {
      const pair = pairOf(node, segment);
      if (!pair) {
        exact = false;
        break;
      }
      key = pair.key;
      value = pair.value;
      node = deref(doc, pair.value);
    }
    return { key, value, exact };
  };
  return {
    key: (path) => positionOf(stream.lines, walk(path).key),
    value: (path) => {
      const { key, value, exact } = walk(path);
      return exact && value ? contentPosition(stream, value) : positionOf(stream.lines, key);
    },
  };
}

function eksctlSections(stream: YamlStream): FleetSection[] {
  const out: FleetSection[] = [];
  for (const group of eksctlNodegroups(stream.documents)) {
    const doc = group.doc;
    const bottlerocket = BOTTLEROCKET_AMI_FAMILIES.includes(group.amiFamily ?? '');
    const settingsNode = deref(
      doc,
      pairOf(deref(doc, pairOf(group.node, 'bottlerocket')?.value), 'settings')?.value,
    );
    const pair = pairOf(settingsNode, 'image-verifier-plugins');
    const namePair = pairOf(group.node, 'name');
    const settingsJs = isMap(settingsNode) ? (settingsNode.toJS(doc) as Record<string, unknown>) : {};
    const otherSettings = Object.keys(settingsJs)
      .filter((k) => k !== 'image-verifier-plugins')
      .map((k) => `settings.${k}`);
    const base = {
      tool: 'eksctl' as const,
      name: group.name,
      label: `nodegroup ${group.name}`,
      bottlerocket,
      userDataBytes: Buffer.byteLength(stringifyToml({ settings: settingsJs })),
    };
    if (!pair) {
      out.push({
        ...base,
        at: positionOf(stream.lines, namePair?.value ?? group.node),
        hasPlugins: false,
        settings: {
          format: 'toml',
          enabled: undefined,
          plugins: [],
          diagnostics: [],
          otherSettings,
        },
      });
      continue;
    }
    const section = deref(doc, pair.value);
    const js = isMap(section) || isScalar(section) ? section.toJS(doc) : (section ?? null);
    const checked = checkPluginsSection(js, yamlLocator(stream, doc, pair.value, pair.key));
    out.push({
      ...base,
      at: positionOf(stream.lines, pair.key),
      hasPlugins: true,
      settings: { format: 'toml', ...checked, otherSettings },
    });
  }
  return out;
}

/** Moves a position inside a userData scalar to its place in the YAML file. */
function shifter(stream: YamlStream, value: Node) {
  const start = positionOf(stream.lines, value);
  const block = isScalar(value) && (value.type === 'BLOCK_LITERAL' || value.type === 'BLOCK_FOLDED');
  const firstContent = stream.text.split('\n')[start.line] ?? '';
  const indent = firstContent.length - firstContent.trimStart().length;
  return <T extends Position>(d: T): T =>
    block
      ? { ...d, line: start.line + d.line, column: indent + d.column }
      : { ...d, line: start.line, column: start.column };
}

function karpenterSections(stream: YamlStream): FleetSection[] {
  const out: FleetSection[] = [];
  for (const nc of karpenterNodeClasses(stream.documents)) {
    const pair = nc.spec?.items.find((p) => isScalar(p.key) && p.key.value === 'userData');
    const value = pair && isScalar(pair.value) ? pair.value : undefined;
    const text = typeof value?.value === 'string' ? value.value : '';
    const base = {
      tool: 'karpenter' as const,
      name: nc.name,
      label: `EC2NodeClass ${nc.name}`,
      bottlerocket: runsBottlerocket(nc),
      userDataBytes: Buffer.byteLength(text),
      at: positionOf(stream.lines, pair?.key ?? nc.nameNode),
    };
    if (!value) {
      out.push({
        ...base,
        hasPlugins: false,
        settings: { format: 'toml', enabled: undefined, plugins: [], diagnostics: [], otherSettings: [] },
      });
      continue;
    }
    const shift = shifter(stream, value as Node);
    let parsed: SettingsFile;
    try {
      parsed = parseSettingsFile(new TextEncoder().encode(text), 'toml');
    } catch (err) {
      if (!(err instanceof SettingsFileError)) throw err;
      const at = shift({ line: err.line, column: err.column });
      out.push({
        ...base,
        hasPlugins: /image-verifier-plugins/.test(text),
        settings: new SettingsFileError(err.message, at.line, at.column),
      });
      continue;
    }
    out.push({
      ...base,
      hasPlugins: !parsed.diagnostics.some((d) => d.rule === 'userdata/no-plugins'),
      settings: {
        ...parsed,
        diagnostics: parsed.diagnostics.filter((d) => d.rule !== 'userdata/no-plugins').map(shift),
        plugins: parsed.plugins.map((p) => (p.valueAt ? { ...p, valueAt: shift(p.valueAt) } : p)),
      },
    });
  }
  return out;
}

/** Every nodegroup and NodeClass of an eksctl or Karpenter YAML stream, in the file's order. */
export function fleetSections(stream: YamlStream): FleetSection[] {
  return [...eksctlSections(stream), ...karpenterSections(stream)];
}

/** Whether two sections give their nodes the same image-verifier settings. */
export function sameSettings(a: FleetSection, b: FleetSection): boolean {
  const key = (s: FleetSection) =>
    s.settings instanceof SettingsFileError
      ? `error:${s.name}`
      : JSON.stringify([
          s.hasPlugins,
          s.settings.enabled ?? null,
          s.settings.plugins.map((p) => [p.name, p.trustpolicy ?? null]).sort(),
          s.settings.diagnostics.map((d) => [d.rule, d.message]).sort(),
        ]);
  return key(a) === key(b);
}
