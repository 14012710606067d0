/**
 * Linting eksctl ClusterConfig and Karpenter EC2NodeClass files: the image-verifier settings in
 * each Bottlerocket nodegroup and in each NodeClass's spec.userData, with the same checks as
 * user data and every finding at its line in the user's YAML file.
 */
import { isMap, isPair, isScalar, type LineCounter, type Node, type YAMLMap } from 'yaml';
import { stringify as stringifyToml } from 'smol-toml';
import {
  type LintEntry,
  type LintEntryDiagnostic,
  type LintFileOptions,
  sectionEntries,
  tooLarge,
} from '../policy/lint-file.ts';
import {
  checkPluginsSection,
  type Locate,
  parseSettingsFile,
  SettingsFileError,
} from '../policy/userdata.ts';
import { EC2_USER_DATA_LIMIT, USER_DATA_CHANNELS } from './budget.ts';
import { eksctlNodegroups } from './eksctl.ts';
import { karpenterNodeClasses } from './karpenter.ts';
import { FleetInputError } from './userdata.ts';
import { parseYamlStream, positionOf } from './yaml-docs.ts';

function invalid(file: string, message: string, line: number, column: number): LintEntry {
  return {
    file,
    document: 'user-data',
    verifier: 'custom',
    valid: false,
    upstreamMessage: message,
    effect: 'rejects-all',
    diagnostics: [
      { rule: 'userdata/invalid', severity: 'error', message, pointer: '', line, column, location: 'file' },
    ],
  };
}

/** Finds the node a key path names inside a map: the key of the last pair, or the map itself. */
function locator(lines: LineCounter, section: Node, sectionKey: unknown): Locate {
  return (path) => {
    let node: unknown = section;
    let at: unknown = sectionKey;
    for (const key of path) {
      if (!isMap(node)) break;
      const pair = (node as YAMLMap).items.find((p) => isPair(p) && isScalar(p.key) && p.key.value === key);
      if (!pair) break;
      at = pair.key;
      node = pair.value;
    }
    return { pointer: '', ...positionOf(lines, at) };
  };
}

function eksctlEntries(file: string, stream: ReturnType<typeof parseYamlStream>, options: LintFileOptions) {
  const entries: LintEntry[] = [];
  for (const group of eksctlNodegroups(stream.documents)) {
    const settings = group.node.getIn(['bottlerocket', 'settings']);
    if (!isMap(settings)) continue;
    const pair = settings.items.find((p) => isScalar(p.key) && p.key.value === 'image-verifier-plugins');
    if (!pair) continue;
    const section = pair.value as Node;
    const checked = checkPluginsSection(
      isMap(section) || isScalar(section) ? section.toJSON() : section,
      locator(stream.lines, section, pair.key),
    );
    const general: LintEntryDiagnostic[] = checked.diagnostics
      .filter((d) => d.plugin === undefined)
      .map((d) => ({ ...d, location: 'file' as const }));
    const toml = stringifyToml({ settings: settings.toJSON() });
    const { reserve } = USER_DATA_CHANNELS.eksctl;
    if (Buffer.byteLength(toml) + reserve > EC2_USER_DATA_LIMIT) {
      const at = positionOf(stream.lines, pair.key);
      general.push(
        tooLarge(
          `nodegroup ${group.name}'s settings render to ${Buffer.byteLength(toml)} bytes of user data`,
          EC2_USER_DATA_LIMIT - reserve,
          at.line,
          at.column,
        ),
      );
    }
    entries.push(...sectionEntries(file, checked, general, options, `${group.name}/`));
  }
  return entries;
}

/** Shifts a finding inside a userData block scalar to its line in the YAML file. */
function shifter(stream: ReturnType<typeof parseYamlStream>, value: Node) {
  const start = positionOf(stream.lines, value);
  const block = isScalar(value) && (value.type === 'BLOCK_LITERAL' || value.type === 'BLOCK_FOLDED');
  const firstContent = stream.text.split('\n')[start.line] ?? '';
  const indent = firstContent.length - firstContent.trimStart().length;
  return <T extends { line: number; column: number }>(d: T): T =>
    block
      ? { ...d, line: start.line + d.line, column: indent + d.column }
      : { ...d, line: start.line, column: start.column };
}

function karpenterEntries(
  file: string,
  stream: ReturnType<typeof parseYamlStream>,
  options: LintFileOptions,
) {
  const entries: LintEntry[] = [];
  for (const nc of karpenterNodeClasses(stream.documents)) {
    const pair = nc.spec?.items.find((p) => isScalar(p.key) && p.key.value === 'userData');
    if (!pair || !isScalar(pair.value) || typeof pair.value.value !== 'string') continue;
    const text = pair.value.value;
    if (!/image-verifier-plugins/.test(text)) continue;
    const shift = shifter(stream, pair.value as Node);
    let parsed: ReturnType<typeof parseSettingsFile>;
    try {
      parsed = parseSettingsFile(new TextEncoder().encode(text), 'toml');
    } catch (err) {
      if (!(err instanceof SettingsFileError)) throw err;
      const at = shift({ line: err.line, column: err.column });
      entries.push(
        invalid(file, `EC2NodeClass ${nc.name} spec.userData: ${err.message}`, at.line, at.column),
      );
      continue;
    }
    const diagnostics = parsed.diagnostics.map(shift);
    const general: LintEntryDiagnostic[] = diagnostics
      .filter((d) => d.plugin === undefined)
      .map((d) => ({ ...d, location: 'file' as const }));
    const budget = EC2_USER_DATA_LIMIT - USER_DATA_CHANNELS.karpenter.reserve;
    if (Buffer.byteLength(text) > budget) {
      const at = positionOf(stream.lines, pair.key);
      general.push(
        tooLarge(
          `EC2NodeClass ${nc.name}'s userData is ${Buffer.byteLength(text)} bytes`,
          budget,
          at.line,
          at.column,
        ),
      );
    }
    entries.push(
      ...sectionEntries(file, { plugins: parsed.plugins, diagnostics }, general, options, `${nc.name}/`),
    );
  }
  return entries;
}

export function lintFleetYaml(file: string, bytes: Uint8Array, options: LintFileOptions): LintEntry[] {
  let stream: ReturnType<typeof parseYamlStream>;
  try {
    stream = parseYamlStream(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (err) {
    if (err instanceof FleetInputError)
      return [invalid(file, `not a valid YAML file: ${err.message}`, err.line, err.column)];
    if (err instanceof TypeError) return [invalid(file, 'not a valid YAML file: it is not UTF-8 text', 1, 1)];
    throw err;
  }
  const entries = [...eksctlEntries(file, stream, options), ...karpenterEntries(file, stream, options)];
  if (entries.length > 0) return entries;
  return [
    {
      file,
      verifier: 'custom',
      valid: true,
      upstreamMessage: null,
      effect: 'allows-all',
      diagnostics: [
        {
          rule: 'userdata/no-plugins',
          severity: 'warning',
          message:
            'no image-verifier-plugins settings in any eksctl nodegroup (bottlerocket.settings) or Karpenter EC2NodeClass (spec.userData): image verification is not configured by this file',
          pointer: '',
          line: 1,
          column: 1,
          location: 'file',
        },
      ],
    },
  ];
}
