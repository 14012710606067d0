/**
 * User-data TOML and JSON settings documents (`apiclient get settings.image-verifier-plugins`):
 * reading the image-verifier-plugins they hold, with the file's own mistakes (output/settings.ts writes them).
 */
import { parse as parseToml } from 'smol-toml';
import { checkStrictBase64 } from './base64.ts';
import { firstInvalidUtf8, parseJson } from './json.ts';
import type { Diagnostic } from './lint.ts';
import { IDENTIFIER_RULE, isValidVerifierName } from './names.ts';
import { LineMap } from './positions.ts';

/** A finding about the settings file itself (JSON pointers do not apply: the pointer is ''). */
export interface FileDiagnostic extends Diagnostic {
  /** The plugin the finding is about, when there is one. */
  plugin?: string;
}

export interface PluginEntry {
  name: string;
  /** The base64 string, when present and a string. */
  trustpolicy?: string;
  /** True when the base64 passed the API's strict check. */
  base64Valid: boolean;
}

export interface SettingsFile {
  format: 'toml' | 'json';
  enabled: boolean | undefined;
  plugins: PluginEntry[];
  diagnostics: FileDiagnostic[];
  /** Other settings the document holds (`settings.kubernetes`, …), which civctl does not write. */
  otherSettings: string[];
}

type Table = Record<string, unknown>;

function isTable(v: unknown): v is Table {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

/** 1-based line and column of the first occurrence of any needle, for pointing at TOML keys. */
function locate(text: string, needles: string[]): { pointer: ''; line: number; column: number } {
  for (const needle of needles) {
    const at = text.indexOf(needle);
    if (at >= 0) {
      const before = text.slice(0, at);
      const line = before.split('\n').length;
      return { pointer: '', line, column: at - before.lastIndexOf('\n') };
    }
  }
  return { pointer: '', line: 1, column: 1 };
}

/** The file is neither user-data TOML nor settings JSON; line and column say where reading stopped. */
export class SettingsFileError extends Error {
  constructor(
    message: string,
    readonly line = 1,
    readonly column = 1,
  ) {
    super(message);
  }
}

/** Parses a user-data TOML or settings JSON file. Throws SettingsFileError when it is neither. */
export function parseSettingsFile(bytes: Uint8Array, hint?: 'toml' | 'json'): SettingsFile {
  const bad = firstInvalidUtf8(bytes);
  if (bad >= 0) throw new SettingsFileError(`it is not UTF-8 text (invalid byte at offset ${bad})`);
  const text = new TextDecoder().decode(bytes);
  const trimmed = text.trimStart();
  let root: unknown;
  let format: 'toml' | 'json';
  if (hint === 'json' || (hint === undefined && trimmed.startsWith('{'))) {
    const parsed = parseJson(bytes, { maxDepth: 128, allowTrailing: false });
    if (!parsed.ok) {
      const at = new LineMap(bytes).position(parsed.offset);
      throw new SettingsFileError(
        `it is not valid JSON: ${parsed.message} (byte ${parsed.offset})`,
        at.line,
        at.column,
      );
    }
    root = JSON.parse(text);
    format = 'json';
  } else {
    try {
      root = parseToml(text);
    } catch (err) {
      const e = err as Error & { line?: number; column?: number };
      throw new SettingsFileError(
        `it is not valid TOML: ${e.message.split('\n')[0]}`,
        e.line ?? 1,
        e.column ?? 1,
      );
    }
    format = 'toml';
  }
  let settings: Table = {};
  if (isTable(root) && isTable(root['settings'])) settings = root['settings'];
  else if (isTable(root) && 'image-verifier-plugins' in root) settings = root;
  const section = settings['image-verifier-plugins'];
  const otherSettings = Object.keys(settings)
    .filter((k) => k !== 'image-verifier-plugins')
    .map((k) => `settings.${k}`);
  const diagnostics: FileDiagnostic[] = [];
  const byText: Locate = (_path, needles) => locate(text, needles);
  if (section === undefined) {
    diagnostics.push({
      rule: 'userdata/no-plugins',
      severity: 'warning',
      message:
        'no settings.image-verifier-plugins section: image verification is not configured by this file',
      ...byText([], ['settings']),
    });
    return { format, enabled: undefined, plugins: [], diagnostics, otherSettings };
  }
  return { format, ...checkPluginsSection(section, byText), otherSettings };
}

/** Where a finding points: `path` is the key path inside image-verifier-plugins; `needles` are texts to search for. */
export type Locate = (path: string[], needles: string[]) => { pointer: ''; line: number; column: number };

/**
 * The checks the API's model makes of a settings.image-verifier-plugins section, whatever file
 * format held it (TOML, JSON, an eksctl or Karpenter YAML file), each finding placed by `where`.
 */
export function checkPluginsSection(
  section: unknown,
  where: Locate,
): { enabled: boolean | undefined; plugins: PluginEntry[]; diagnostics: FileDiagnostic[] } {
  const diagnostics: FileDiagnostic[] = [];
  if (!isTable(section)) {
    diagnostics.push({
      rule: 'userdata/not-a-table',
      severity: 'error',
      message: 'settings.image-verifier-plugins must be a table',
      ...where([], ['image-verifier-plugins']),
    });
    return { enabled: undefined, plugins: [], diagnostics };
  }
  let enabled: boolean | undefined;
  const plugins: PluginEntry[] = [];
  for (const [key, value] of Object.entries(section)) {
    const at = where(
      [key],
      [`[settings.image-verifier-plugins.${key}]`, `"${key}"`, `${key} =`, `${key}=`, key],
    );
    if (key === 'enabled') {
      if (typeof value === 'boolean') enabled = value;
      else
        diagnostics.push({
          rule: 'userdata/enabled-type',
          severity: 'error',
          message: `enabled must be true or false, not ${JSON.stringify(value)}; the API rejects the whole document`,
          ...at,
        });
      continue;
    }
    if (!isTable(value)) {
      const flat = /^(.+)-(trustpolicy|trust-policy)$/.exec(key);
      diagnostics.push({
        rule: 'userdata/flat-key',
        severity: 'error',
        plugin: key,
        message: flat
          ? `"${key} = …" defines a plugin named "${key}" holding a string, which the API rejects (a form shown in the Bottlerocket docs); write [settings.image-verifier-plugins.${flat[1]}] with trustpolicy = "…"`
          : `"${key}" must be a table such as [settings.image-verifier-plugins.${key}] with trustpolicy = "…"; the API rejects other values`,
        ...at,
      });
      continue;
    }
    if (!isValidVerifierName(key)) {
      diagnostics.push({
        rule: 'userdata/plugin-name',
        severity: 'error',
        plugin: key,
        message: `invalid plugin name ${JSON.stringify(key)}: ${IDENTIFIER_RULE}; the API rejects it`,
        ...at,
      });
      continue;
    }
    const entry: PluginEntry = { name: key, base64Valid: false };
    for (const [field, fieldValue] of Object.entries(value)) {
      if (field !== 'trustpolicy' && field !== 'trust-policy') {
        diagnostics.push({
          rule: 'userdata/unknown-field',
          severity: 'error',
          plugin: key,
          message: `unknown field "${field}" in plugin "${key}": only trustpolicy is accepted; the API rejects the document`,
          ...where([key, field], [`${field} =`, `"${field}"`, field]),
        });
        continue;
      }
      if (typeof fieldValue !== 'string') {
        diagnostics.push({
          rule: 'userdata/base64',
          severity: 'error',
          plugin: key,
          message: `${key}.trustpolicy must be a base64 string`,
          ...where([key, field], [`${field} =`, `"${field}"`]),
        });
        continue;
      }
      entry.trustpolicy = fieldValue;
      const problem = checkStrictBase64(fieldValue);
      if (problem)
        diagnostics.push({
          rule: 'userdata/base64',
          severity: 'error',
          plugin: key,
          message: `${key}.trustpolicy is not base64 the API accepts: ${problem.message}`,
          ...where([key, field], [fieldValue.slice(0, 40), `${field} =`]),
        });
      else entry.base64Valid = true;
    }
    plugins.push(entry);
  }
  const withPolicy = plugins.filter((p) => p.trustpolicy !== undefined);
  if (withPolicy.length > 0 && enabled !== true) {
    diagnostics.push({
      rule: 'userdata/not-enabled',
      severity: 'warning',
      message:
        enabled === false
          ? 'trust policies are configured but enabled = false: no image is verified'
          : 'trust policies are configured but enabled is absent (default false): no image is verified; add enabled = true',
      ...where(enabled === undefined ? [] : ['enabled'], [
        'enabled',
        '[settings.image-verifier-plugins]',
        'image-verifier-plugins',
      ]),
    });
  }
  return { enabled, plugins, diagnostics };
}
