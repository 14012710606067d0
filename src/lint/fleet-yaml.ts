/**
 * Linting eksctl ClusterConfig and Karpenter EC2NodeClass files: the image-verifier settings in
 * each Bottlerocket nodegroup and in each NodeClass's spec.userData, with the same checks as
 * user data and every finding at its line in the user's YAML file. A file its tool would refuse
 * (invalid YAML, a duplicate key) never reaches a node, and is reported as such.
 */
import { SettingsFileError } from '../formats/read-settings.ts';
import { fleetToolOf, readSettingsDocument, yamlRefusal } from '../formats/settings-document.ts';
import type { FleetSection } from '../formats/settings-yaml.ts';
import { entryWithFinding, fileFinding, type LintEntry } from './entries.ts';
import { fileDiagnostics, type LintFileOptions, sectionEntries, tooLarge } from './settings.ts';

function sectionLintEntries(file: string, section: FleetSection, options: LintFileOptions): LintEntry[] {
  const settings = section.settings;
  if (settings instanceof SettingsFileError) {
    const message = `EC2NodeClass ${section.name} spec.userData: ${settings.message}; Karpenter refuses such user data (invalid UserData), so no node is launched with it`;
    const finding = fileFinding('fleet/invalid', 'error', message, settings);
    return [
      entryWithFinding(file, 'not-deployed', finding, {
        document: 'karpenter',
        section: section.name,
        upstreamMessage: message,
      }),
    ];
  }
  const general = fileDiagnostics(settings);
  const large = tooLarge(
    section.tool,
    `${section.label}'s user data would be`,
    section.userDataBytes,
    section.at,
  );
  if (large) general.push(large);
  if (!section.hasPlugins)
    general.push(
      fileFinding(
        'userdata/no-plugins',
        'warning',
        `${section.label} sets no image-verifier-plugins: image verification is not configured for its nodes`,
        section.at,
      ),
    );
  const entries = sectionEntries(file, settings, general, options, `${section.name}/`);
  for (const entry of entries) {
    entry.document = section.tool;
    entry.section = section.name;
  }
  return entries;
}

export async function lintFleetYaml(
  file: string,
  bytes: Uint8Array,
  options: LintFileOptions,
): Promise<LintEntry[]> {
  const text = new TextDecoder().decode(bytes);
  const document = fleetToolOf(text) ?? 'yaml';
  let sections: FleetSection[];
  try {
    const read = await readSettingsDocument(bytes, 'yaml');
    if (read.format !== 'yaml') throw new Error('a YAML file read as TOML or JSON');
    sections = read.sections;
  } catch (err) {
    if (!(err instanceof SettingsFileError)) throw err;
    const message = yamlRefusal(bytes, err.message);
    const finding = fileFinding('fleet/invalid', 'error', message, err);
    return [entryWithFinding(file, 'not-deployed', finding, { document, upstreamMessage: message })];
  }
  // Lint every section that writes image-verifier settings, and every Bottlerocket one (one that
  // writes none leaves its nodes unverified).
  const entries = sections
    .filter((s) => s.hasPlugins || s.bottlerocket)
    .flatMap((s) => sectionLintEntries(file, s, options));
  if (entries.length > 0) return entries;
  return [
    entryWithFinding(
      file,
      'allows-all',
      fileFinding(
        'userdata/no-plugins',
        'warning',
        'no image-verifier-plugins settings in any eksctl nodegroup (bottlerocket.settings) or Karpenter EC2NodeClass (spec.userData): image verification is not configured by this file',
      ),
      { document },
    ),
  ];
}
