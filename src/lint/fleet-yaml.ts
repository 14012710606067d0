/**
 * Linting eksctl ClusterConfig and Karpenter EC2NodeClass files: the image-verifier settings in
 * each Bottlerocket nodegroup and in each NodeClass's spec.userData, with the same checks as
 * user data and every finding at its line in the user's YAML file. A file its tool would refuse
 * (invalid YAML, a duplicate key) never reaches a node, and is reported as such.
 */
import {
  type LintEntry,
  type LintEntryDiagnostic,
  type LintFileOptions,
  sectionEntries,
  tooLarge,
} from './file.ts';
import { SettingsFileError } from '../formats/read-settings.ts';
import { EC2_USER_DATA_LIMIT, USER_DATA_CHANNELS } from '../formats/budget.ts';
import { type FleetSection, type FleetTool, fleetSections } from '../formats/settings-yaml.ts';
import { parseYamlStream } from '../formats/yaml-docs.ts';

/** Which tool a file is for, from its `kind:` lines (readable even when the YAML is not). */
function toolOfText(text: string): FleetTool | undefined {
  if (/^kind:\s*["']?ClusterConfig["']?\s*(#.*)?$/m.test(text)) return 'eksctl';
  if (/^kind:\s*["']?EC2NodeClass["']?\s*(#.*)?$/m.test(text)) return 'karpenter';
  return undefined;
}

function notDeployed(
  file: string,
  tool: FleetTool | undefined,
  message: string,
  line: number,
  column: number,
  section?: string,
): LintEntry {
  return {
    file,
    document: tool ?? 'yaml',
    ...(section !== undefined ? { section } : {}),
    verifier: 'custom',
    valid: false,
    upstreamMessage: message,
    effect: 'not-deployed',
    diagnostics: [
      { rule: 'fleet/invalid', severity: 'error', message, pointer: '', line, column, location: 'file' },
    ],
  };
}

function sectionLintEntries(file: string, section: FleetSection, options: LintFileOptions): LintEntry[] {
  const settings = section.settings;
  if (settings instanceof SettingsFileError)
    return [
      notDeployed(
        file,
        'karpenter',
        `EC2NodeClass ${section.name} spec.userData: ${settings.message}; Karpenter refuses such user data (invalid UserData), so no node is launched with it`,
        settings.line,
        settings.column,
        section.name,
      ),
    ];
  const general: LintEntryDiagnostic[] = settings.diagnostics
    .filter((d) => d.plugin === undefined)
    .map((d) => ({ ...d, location: 'file' as const }));
  const budget = EC2_USER_DATA_LIMIT - USER_DATA_CHANNELS[section.tool].reserve;
  if (section.userDataBytes > budget)
    general.push(
      tooLarge(
        section.tool === 'eksctl'
          ? `nodegroup ${section.name}'s settings render to ${section.userDataBytes} bytes of user data`
          : `EC2NodeClass ${section.name}'s userData is ${section.userDataBytes} bytes`,
        budget,
        section.at.line,
        section.at.column,
      ),
    );
  if (!section.hasPlugins)
    general.push({
      rule: 'userdata/no-plugins',
      severity: 'warning',
      message: `${section.label} sets no image-verifier-plugins: image verification is not configured for its nodes`,
      pointer: '',
      ...section.at,
      location: 'file',
    });
  const entries = sectionEntries(file, settings, general, options, `${section.name}/`);
  for (const entry of entries) {
    entry.document = section.tool;
    entry.section = section.name;
  }
  return entries;
}

export function lintFleetYaml(file: string, bytes: Uint8Array, options: LintFileOptions): LintEntry[] {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return [notDeployed(file, undefined, 'not a valid YAML file: it is not UTF-8 text', 1, 1)];
  }
  let stream: ReturnType<typeof parseYamlStream>;
  try {
    stream = parseYamlStream(text);
  } catch (err) {
    if (err instanceof SettingsFileError) {
      const tool = toolOfText(text);
      const problem = err.message.replace(/^it is not valid YAML: /, '');
      const what =
        tool === 'eksctl'
          ? `not a valid ClusterConfig/YAML: eksctl would reject the file (${problem})`
          : tool === 'karpenter'
            ? `not a valid EC2NodeClass/YAML: kubectl would reject the file (${problem})`
            : `not a valid YAML file: ${problem}`;
      return [notDeployed(file, tool, what, err.line, err.column)];
    }
    throw err;
  }
  // Lint every section that writes image-verifier settings, and every Bottlerocket one (one that
  // writes none leaves its nodes unverified).
  const sections = fleetSections(stream).filter((s) => s.hasPlugins || s.bottlerocket);
  const entries = sections.flatMap((s) => sectionLintEntries(file, s, options));
  if (entries.length > 0) return entries;
  const tool = toolOfText(text);
  return [
    {
      file,
      document: tool ?? 'yaml',
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
