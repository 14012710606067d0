/**
 * A settings file the user names, for check --user-data, decode --userdata and apply: read with
 * formats/settings-document.ts (the reader lint uses too) — user-data TOML, settings JSON, or the
 * settings an eksctl ClusterConfig nodegroup or a Karpenter EC2NodeClass gives its nodes. A fleet
 * file with several Bottlerocket nodegroups or NodeClasses whose settings differ needs --nodegroup
 * or --nodeclass; civctl never guesses.
 */
import { CivError, UsageError } from '../errors.ts';
import { readInput } from './files.ts';
import type { Io } from '../io.ts';
import type { SettingsFile } from '../formats/read-settings.ts';
import {
  readSettingsDocument,
  type SettingsDocument,
  settingsFileFormat,
  yamlRefusal,
} from '../formats/settings-document.ts';
import type { FleetSection } from '../formats/settings-yaml.ts';

/** Which section of an eksctl or Karpenter file to read. */
export interface SettingsSelector {
  nodegroup?: string | undefined;
  nodeclass?: string | undefined;
}

/** The options that pick a SettingsSelector. */
export const SETTINGS_FILE_OPTIONS = {
  nodegroup: {
    type: 'string',
    describe: 'For an eksctl ClusterConfig: the nodegroup whose settings to use (needed when they differ)',
  },
  nodeclass: {
    type: 'string',
    describe: 'For a Karpenter file: the EC2NodeClass whose spec.userData to use (needed when they differ)',
  },
} as const;

export interface ReadSettings extends SettingsFile {
  /** The file as messages name it, with the nodegroup or NodeClass: `'cluster.yaml' (nodegroup a)`. */
  label: string;
  /** `nodegroup NAME` or `EC2NodeClass NAME`, for a fleet file. */
  section?: string;
}

/** Reads a user-data TOML, settings JSON, eksctl or Karpenter file, or refuses it with one clear error. */
export async function readSettingsFile(
  io: Io,
  path: string,
  select: SettingsSelector = {},
): Promise<ReadSettings> {
  const bytes = await readInput(io, path);
  const format = settingsFileFormat(path, bytes);
  if (format !== 'yaml')
    for (const [option, value] of Object.entries(select))
      if (value !== undefined)
        throw new UsageError(
          `--${option} picks a section of an eksctl or Karpenter file; '${path}' is ${format === 'json' ? 'settings JSON' : 'user-data TOML'}`,
        );
  // smol-toml (and the yaml library) are loaded only for the files that need them.
  const { SettingsFileError } = await import('../formats/read-settings.ts');
  let read: SettingsDocument;
  try {
    read = await readSettingsDocument(bytes, format);
  } catch (err) {
    if (!(err instanceof SettingsFileError)) throw err;
    throw new CivError(
      'E_INVALID_USERDATA',
      format === 'yaml'
        ? `${path}:${err.line}:${err.column}: ${yamlRefusal(bytes, err.message)}`
        : `'${path}' is not a user-data or settings file: ${err.message}`,
    );
  }
  if (read.format !== 'yaml') return { ...read.settings, label: `'${path}'` };
  const { sameSettings } = await import('../formats/settings-yaml.ts');
  return chosenSection(path, read.sections, select, sameSettings);
}

/**
 * The nodegroup or NodeClass of a fleet file whose settings to use: the one named, or the one
 * setting that all its Bottlerocket sections share.
 */
function chosenSection(
  path: string,
  sections: FleetSection[],
  select: SettingsSelector,
  sameSettings: (a: FleetSection, b: FleetSection) => boolean,
): ReadSettings {
  const pick = (tool: 'eksctl' | 'karpenter', name: string, option: string) => {
    const ofTool = sections.filter((s) => s.tool === tool);
    const what = tool === 'eksctl' ? 'nodegroup' : 'EC2NodeClass';
    if (ofTool.length === 0)
      throw new UsageError(
        `--${option} picks ${tool === 'eksctl' ? 'a nodegroup of an eksctl ClusterConfig' : 'an EC2NodeClass of a Karpenter file'}; '${path}' has none`,
      );
    const found = ofTool.find((s) => s.name === name);
    const choices = ofTool.filter((s) => s.bottlerocket).map((s) => s.name);
    if (!found)
      throw new UsageError(
        `'${path}' has no ${what} '${name}'${choices.length > 0 ? `; its Bottlerocket ${what}s: ${choices.join(', ')}` : ''}`,
      );
    if (!found.bottlerocket)
      throw new UsageError(
        `${what} '${name}' of '${path}' does not run Bottlerocket, so its nodes have no image-verifier settings${choices.length > 0 ? `; its Bottlerocket ${what}s: ${choices.join(', ')}` : ''}`,
      );
    return found;
  };
  let chosen: ReturnType<typeof pick>;
  if (select.nodegroup !== undefined && select.nodeclass !== undefined)
    throw new UsageError('give --nodegroup or --nodeclass, not both');
  if (select.nodegroup !== undefined) chosen = pick('eksctl', select.nodegroup, 'nodegroup');
  else if (select.nodeclass !== undefined) chosen = pick('karpenter', select.nodeclass, 'nodeclass');
  else {
    const candidates = sections.filter((s) => s.bottlerocket);
    if (candidates.length === 0)
      throw new CivError(
        'E_INVALID_USERDATA',
        `'${path}' has no Bottlerocket nodegroup (eksctl ClusterConfig, amiFamily Bottlerocket or BottlerocketFips) or EC2NodeClass (Karpenter)`,
      );
    if (!candidates.every((s) => sameSettings(s, candidates[0]!))) {
      const options = [
        ...new Set(candidates.map((s) => (s.tool === 'eksctl' ? '--nodegroup' : '--nodeclass'))),
      ];
      throw new UsageError(
        `'${path}' gives its Bottlerocket ${candidates.every((s) => s.tool === 'eksctl') ? 'nodegroups' : candidates.every((s) => s.tool === 'karpenter') ? 'EC2NodeClasses' : 'nodegroups and EC2NodeClasses'} different image-verifier settings; choose one with ${options.join(' or ')}: ${candidates.map((s) => s.name).join(', ')}`,
      );
    }
    chosen = candidates[0]!;
  }
  const label = `'${path}' (${chosen.label})`;
  // A NodeClass whose user data Karpenter could not read (a SettingsFileError).
  if (chosen.settings instanceof Error)
    throw new CivError(
      'E_INVALID_USERDATA',
      `${path}:${chosen.settings.line}:${chosen.settings.column}: the spec.userData of ${chosen.label} ${chosen.settings.message}; Karpenter would refuse it`,
    );
  return { ...chosen.settings, label, section: chosen.label };
}
