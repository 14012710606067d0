/**
 * User-data TOML for fleets: civctl's fragment on its own, or merged into the user's file with
 * only settings.image-verifier-plugins replaced. The merge edits the text (comments, order and
 * every other setting stay as written) and then proves itself by parsing the result; when the
 * user's file defines the subtree in a way a text edit cannot replace (dotted keys, inline
 * tables), it re-serialises the parsed document instead and says that the layout was lost.
 */
import { parse as parseToml, stringify as stringifyToml } from 'smol-toml';
import { imageVerifierPluginsObject, type PluginPolicies, settingsTree } from '../policy/settings.ts';
import { SettingsFileError as FleetInputError } from '../policy/userdata.ts';

/** A file that is not what it should be, with where reading stopped (the settings-file error). */
export { FleetInputError };

type Table = Record<string, unknown>;

/** The civctl fragment: only [settings.image-verifier-plugins…] tables, never a bare [settings]. */
export function renderUserData(p: PluginPolicies): string {
  const out = stringifyToml(settingsTree(p));
  return out.endsWith('\n') ? out : out + '\n';
}

function parseUserData(text: string): Table {
  try {
    return parseToml(text) as Table;
  } catch (err) {
    const e = err as Error & { line?: number; column?: number };
    throw new FleetInputError(
      `it is not valid TOML: ${e.message.split('\n')[0]}`,
      e.line ?? 1,
      e.column ?? 1,
    );
  }
}

/** A canonical text of a parsed value, for comparing documents regardless of key order. */
export function canonical(value: unknown): string {
  if (value instanceof Date) return `D${String(value)}`;
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const table = value as Table;
    return `{${Object.keys(table)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(table[k])}`)
      .join(',')}}`;
  }
  if (typeof value === 'bigint') return `${value}n`;
  return JSON.stringify(value) ?? 'undefined';
}

/** The document the merge must produce: the user's, with only the subtree replaced. */
export function expectedMerge(original: Table, p: PluginPolicies): Table {
  const settings = { ...((original['settings'] as Table | undefined) ?? {}) };
  const subtree = imageVerifierPluginsObject(p);
  if (Object.keys(subtree).length > 0) settings['image-verifier-plugins'] = subtree;
  else delete settings['image-verifier-plugins'];
  return { ...original, settings };
}

const SUBTREE_HEADER =
  /^\s*\[\s*(?:settings|"settings"|'settings')\s*\.\s*(?:image-verifier-plugins|"image-verifier-plugins"|'image-verifier-plugins')\s*(?:\.[^\]]*)?\]\s*(?:#.*)?$/;
const ANY_HEADER = /^\s*\[/;
const COMMENT_OR_BLANK = /^\s*(?:#.*)?$/;

/** Removes the subtree's tables from the text; returns the lines and where the first one was. */
function cutSubtree(lines: string[]): { kept: string[]; at: number | undefined } {
  const kept: string[] = [];
  let at: number | undefined;
  for (let i = 0; i < lines.length; i++) {
    if (!SUBTREE_HEADER.test(lines[i]!)) {
      kept.push(lines[i]!);
      continue;
    }
    at ??= kept.length;
    let end = i + 1;
    while (end < lines.length && !ANY_HEADER.test(lines[end]!)) end++;
    // Comments just above the next header belong to it.
    let keepFrom = end;
    while (
      keepFrom > i + 1 &&
      COMMENT_OR_BLANK.test(lines[keepFrom - 1]!) &&
      lines[keepFrom - 1]!.trim() !== ''
    )
      keepFrom--;
    kept.push(...lines.slice(keepFrom, end));
    i = end - 1;
  }
  return { kept, at };
}

export interface MergedUserData {
  text: string;
  /** False when the file had to be re-serialised: comments and layout were lost. */
  preserved: boolean;
}

/** The user's user-data TOML with only settings.image-verifier-plugins replaced by `p`. */
export function mergeUserData(original: string, p: PluginPolicies): MergedUserData {
  const parsed = parseUserData(original);
  const expected = expectedMerge(parsed, p);
  const fragment = Object.keys(imageVerifierPluginsObject(p)).length > 0 ? renderUserData(p) : '';
  const eol = original.includes('\r\n') ? '\r\n' : '\n';
  const lines = original.split(/\r?\n/);
  if (lines[lines.length - 1] === '') lines.pop();
  const { kept, at } = cutSubtree(lines);
  const insert = fragment === '' ? [] : fragment.replace(/\n$/, '').split('\n');
  let out: string[];
  if (at === undefined) {
    while (kept.length > 0 && kept[kept.length - 1]!.trim() === '') kept.pop();
    out = kept.length > 0 && insert.length > 0 ? [...kept, '', ...insert] : [...kept, ...insert];
  } else {
    const blankAfter = insert.length > 0 && at < kept.length && kept[at]!.trim() !== '' ? [''] : [];
    out = [...kept.slice(0, at), ...insert, ...blankAfter, ...kept.slice(at)];
  }
  const text = out.length > 0 ? out.join(eol) + eol : '';
  try {
    if (canonical(parseToml(text)) === canonical(expected)) return { text, preserved: true };
  } catch {
    // falls through to re-serialising
  }
  const whole = stringifyToml(expected);
  return { text: whole.endsWith('\n') ? whole : whole + '\n', preserved: false };
}
