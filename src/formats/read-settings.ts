/**
 * User-data TOML and JSON settings documents (`apiclient get settings.image-verifier-plugins`):
 * reading the image-verifier-plugins they hold, with the file's own mistakes, and the checks the
 * API's model makes of such a section whatever file held it (formats/index.ts writes them).
 */
import { parse as parseToml } from 'smol-toml';
import { checkStrictBase64 } from '../policy/base64.ts';
import { firstInvalidUtf8, type JsonMember, type JsonNode, parseJson } from '../policy/json.ts';
import type { Diagnostic } from '../policy/lint.ts';
import { IDENTIFIER_RULE, isValidVerifierName } from '../policy/names.ts';
import { LineMap } from '../policy/positions.ts';
import { findTomlEntry, lineColumn, scanToml } from './toml-positions.ts';

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
  /** Where the trustpolicy value is written in the file, for findings inside the decoded policy. */
  valueAt?: Position;
}

export interface Position {
  line: number;
  column: number;
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

/** TOML text as smol-toml reads it; SettingsFileError (at smol-toml's position) when it is not TOML. */
export function parseTomlText(text: string): Record<string, unknown> {
  try {
    return parseToml(text);
  } catch (err) {
    const e = err as Error & { line?: number; column?: number };
    throw new SettingsFileError(
      `it is not valid TOML: ${e.message.split('\n')[0]}`,
      e.line ?? 1,
      e.column ?? 1,
    );
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
  let jsonRoot: JsonNode | undefined;
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
    jsonRoot = parsed.node;
    format = 'json';
  } else {
    root = parseTomlText(text);
    format = 'toml';
  }
  let settings: Table = {};
  let prefix: string[] = [];
  if (isTable(root) && isTable(root['settings'])) {
    settings = root['settings'];
    prefix = ['settings'];
  } else if (isTable(root) && 'image-verifier-plugins' in root) settings = root;
  const section = settings['image-verifier-plugins'];
  const otherSettings = Object.keys(settings)
    .filter((k) => k !== 'image-verifier-plugins')
    .map((k) => `settings.${k}`);
  const diagnostics: FileDiagnostic[] = [];
  const where = jsonRoot ? jsonLocator(bytes, jsonRoot) : tomlLocator(text);
  if (section === undefined) {
    diagnostics.push({
      rule: 'userdata/no-plugins',
      severity: 'warning',
      message:
        'no settings.image-verifier-plugins section: image verification is not configured by this file',
      pointer: '',
      ...where.key(prefix.length > 0 ? prefix : []),
    });
    return { format, enabled: undefined, plugins: [], diagnostics, otherSettings };
  }
  const inSection = [...prefix, 'image-verifier-plugins'];
  return {
    format,
    ...checkPluginsSection(section, {
      key: (path) => where.key([...inSection, ...path]),
      value: (path) => where.value([...inSection, ...path]),
    }),
    otherSettings,
  };
}

/** Where a string's text starts (after its opening quotes, and a newline right after triple quotes). */
function stringContentStart(text: string, at: number): number {
  if (text.startsWith('"""', at) || text.startsWith("'''", at)) {
    const after = at + 3;
    return text.startsWith('\r\n', after) ? after + 2 : text[after] === '\n' ? after + 1 : after;
  }
  return text[at] === '"' || text[at] === "'" ? at + 1 : at;
}

/** Where the key or value at a path of the whole document is written (1:1 when it is not found). */
interface DocumentLocator {
  key(path: string[]): Position;
  value(path: string[]): Position;
}

function tomlLocator(text: string): DocumentLocator {
  let entries: ReturnType<typeof scanToml> | undefined;
  const find = (path: string[]) => {
    entries ??= scanToml(text);
    for (let depth = path.length; depth > 0; depth--) {
      const entry = findTomlEntry(entries, path.slice(0, depth));
      if (entry) return { entry, exact: depth === path.length };
    }
    return undefined;
  };
  return {
    key: (path) => {
      const found = find(path);
      return found ? lineColumn(text, found.entry.keyStart) : { line: 1, column: 1 };
    },
    value: (path) => {
      const found = find(path);
      if (!found) return { line: 1, column: 1 };
      const { entry, exact } = found;
      return lineColumn(
        text,
        exact && entry.kind === 'value' ? stringContentStart(text, entry.valueStart) : entry.keyStart,
      );
    },
  };
}

function jsonLocator(bytes: Uint8Array, root: JsonNode): DocumentLocator {
  const lines = new LineMap(bytes);
  /** The deepest member along the path (the last of duplicate keys, as serde reads them). */
  const walk = (path: string[]) => {
    let node: JsonNode | undefined = root;
    let member: JsonMember | undefined;
    let exact = true;
    for (const key of path) {
      const found: JsonMember | undefined =
        node?.kind === 'object' ? node.members.findLast((m) => m.key === key) : undefined;
      if (!found) {
        exact = false;
        break;
      }
      member = found;
      node = found.value;
    }
    return { member, exact };
  };
  return {
    key: (path) => {
      const { member } = walk(path);
      return member ? lines.position(member.keyStart) : { line: 1, column: 1 };
    },
    value: (path) => {
      const { member, exact } = walk(path);
      if (!member) return { line: 1, column: 1 };
      if (!exact) return lines.position(member.keyStart);
      return lines.position(member.value.start + (member.value.kind === 'string' ? 1 : 0));
    },
  };
}

/** Where a key or value of a settings.image-verifier-plugins section is written; `path` is inside the section ([] for the section itself). */
export interface Locate {
  key(path: string[]): Position;
  value(path: string[]): Position;
}

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
      pointer: '',
      ...where.key([]),
    });
    return { enabled: undefined, plugins: [], diagnostics };
  }
  let enabled: boolean | undefined;
  const plugins: PluginEntry[] = [];
  for (const [key, value] of Object.entries(section)) {
    const at = { pointer: '' as const, ...where.key([key]) };
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
          pointer: '',
          ...where.key([key, field]),
        });
        continue;
      }
      if (typeof fieldValue !== 'string') {
        diagnostics.push({
          rule: 'userdata/base64',
          severity: 'error',
          plugin: key,
          message: `${key}.trustpolicy must be a base64 string`,
          pointer: '',
          ...where.value([key, field]),
        });
        continue;
      }
      entry.trustpolicy = fieldValue;
      entry.valueAt = where.value([key, field]);
      const problem = checkStrictBase64(fieldValue);
      if (problem)
        diagnostics.push({
          rule: 'userdata/base64',
          severity: 'error',
          plugin: key,
          message: `${key}.trustpolicy is not base64 the API accepts: ${problem.message}`,
          pointer: '',
          ...entry.valueAt,
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
      pointer: '',
      ...where.key(enabled === undefined ? [] : ['enabled']),
    });
  }
  return { enabled, plugins, diagnostics };
}
