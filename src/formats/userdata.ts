/**
 * User-data TOML for fleets: civctl's fragment on its own, or merged into the user's file with
 * only settings.image-verifier-plugins changed (formats/merge.ts says how). The merge edits the text
 * (comments, order and every other setting stay as written) and then proves itself by parsing the
 * result; when the user's file defines the subtree in a way a text edit cannot reach (dotted keys,
 * inline tables), it re-serialises the parsed document instead and says that the layout was lost.
 */
import { stringify as stringifyToml } from 'smol-toml';
import { type PluginPolicies, settingsTree } from '../policy/settings.ts';
import { scanToml, type TomlKeyValue, type TomlTable } from './toml-positions.ts';
import { parseTomlText } from './read-settings.ts';
import { type MergedSubtree, type MergeNotice, mergeSubtree } from './merge.ts';

type Table = Record<string, unknown>;

/** The civctl fragment: only [settings.image-verifier-plugins…] tables, never a bare [settings]. */
export function renderUserData(p: PluginPolicies): string {
  const out = stringifyToml(settingsTree(p));
  return out.endsWith('\n') ? out : out + '\n';
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

/** The document the merge must produce: the user's, with only the subtree replaced by `subtree`. */
export function expectedMerge(original: Table, subtree: Table): Table {
  const settings = { ...((original['settings'] as Table | undefined) ?? {}) };
  if (Object.keys(subtree).length > 0) settings['image-verifier-plugins'] = subtree;
  else delete settings['image-verifier-plugins'];
  return { ...original, settings };
}

export interface MergedUserData {
  text: string;
  /** False when the file had to be re-serialised: comments and layout were lost. */
  preserved: boolean;
  /** What the merge replaced, turned off or kept (formats/merge.ts). */
  notices: MergeNotice[];
}

const IVP = ['settings', 'image-verifier-plugins'];
const startsWith = (path: string[], prefix: string[]) => prefix.every((s, k) => path[k] === s);
const same = (a: string[], b: string[]) => a.length === b.length && startsWith(a, b);

interface TextEdit {
  at: number;
  end: number;
  text: string;
}

/** Applies edits (offsets into `text`); edits at one offset land in the order given. */
export function applyEdits(text: string, edits: TextEdit[]): string {
  const order = edits.map((e, k) => ({ e, k })).sort((a, b) => b.e.at - a.e.at || b.k - a.k);
  let out = text;
  for (const { e } of order) out = out.slice(0, e.at) + e.text + out.slice(e.end);
  return out;
}

/**
 * The edits that write the merged subtree into the file's own text: values replaced where they
 * are written, keys added under their [header], new tables after the last image-verifier table.
 * Undefined when the file's form needs more than that (the caller then re-serialises).
 */
function textEdits(text: string, merged: MergedSubtree): TextEdit[] | undefined {
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const entries = scanToml(text);
  const value = (path: string[]) =>
    entries.find((e): e is TomlKeyValue => e.kind === 'value' && same(e.path, path));
  const table = (path: string[]) =>
    entries.find((e): e is TomlTable => e.kind === 'table' && same(e.path, path));
  const subtables = entries.filter(
    (e): e is TomlTable => e.kind === 'table' && startsWith(e.path, IVP) && !e.array,
  );
  // New tables go after the last image-verifier table, or at the end of the file.
  const tail = subtables.length > 0 ? subtables[subtables.length - 1]!.contentEnd : text.length;
  const lineBreakBefore = (at: number) => (at > 0 && text[at - 1] !== '\n' ? eol : '');
  const literal = (v: unknown) => JSON.stringify(v);
  const edits: TextEdit[] = [];
  const changes = merged.whole
    ? Object.entries(merged.subtree).map(([k, v]) => ({ path: [k], value: v }))
    : merged.changes;
  if (merged.whole && value(IVP)) return undefined;
  for (const { path, value: v } of changes) {
    const full = [...IVP, ...path];
    const existing = value(full);
    if (existing && typeof v !== 'object') {
      edits.push({ at: existing.valueStart, end: existing.valueEnd, text: literal(v) });
      continue;
    }
    if (existing || entries.some((e) => e.kind === 'value' && startsWith(full, e.path))) return undefined;
    if (typeof v !== 'object') {
      // A key of an existing [header] table (enabled, or a plugin's trustpolicy).
      const parent = table(full.slice(0, -1));
      if (parent) {
        edits.push({
          at: parent.bodyStart,
          end: parent.bodyStart,
          text: `${path[path.length - 1]} = ${literal(v)}${eol}`,
        });
        continue;
      }
      if (path.length !== 1) return undefined;
      // enabled without its table: a [settings.image-verifier-plugins] table before the plugin tables.
      const at = subtables.length > 0 ? lineStartOf(text, subtables[0]!.keyStart) : tail;
      const block = `[${IVP.join('.')}]${eol}${path[0]} = ${literal(v)}${eol}`;
      edits.push(
        subtables.length > 0
          ? { at, end: at, text: `${block}${eol}` }
          : { at, end: at, text: `${lineBreakBefore(at)}${at > 0 ? eol : ''}${block}` },
      );
      continue;
    }
    // A new plugin table.
    if (table(full)) return undefined;
    const fields = Object.entries(v as Table)
      .map(([k, fv]) => `${k} = ${literal(fv)}${eol}`)
      .join('');
    edits.push({
      at: tail,
      end: tail,
      text: `${lineBreakBefore(tail)}${tail > 0 ? eol : ''}[${full.join('.')}]${eol}${fields}`,
    });
  }
  return edits;
}

function lineStartOf(text: string, at: number): number {
  return text.lastIndexOf('\n', at - 1) + 1;
}

/**
 * The user's user-data TOML with settings.image-verifier-plugins merged with `p`: the file's other
 * verifiers and `enabled` stay unless named, and every line the merge does not change stays as
 * written. Proven by parsing; a form a text edit cannot reach is re-serialised (preserved: false).
 */
export function mergeUserData(original: string, p: PluginPolicies): MergedUserData {
  const parsed = parseTomlText(original);
  const current = (parsed['settings'] as Table | undefined)?.['image-verifier-plugins'];
  const merged = mergeSubtree(current, p);
  const expected = expectedMerge(parsed, merged.subtree);
  // Nothing written yet (a NodeClass without user data): civctl's own fragment.
  if (original.trim() === '') return { text: tomlText(expected), preserved: true, notices: merged.notices };
  const edits = textEdits(original, merged);
  if (edits) {
    const text = applyEdits(original, edits);
    try {
      if (canonical(parseTomlText(text)) === canonical(expected))
        return { text, preserved: true, notices: merged.notices };
    } catch {
      // falls through to re-serialising
    }
  }
  return { text: tomlText(expected), preserved: false, notices: merged.notices };
}

function tomlText(doc: Table): string {
  const text = stringifyToml(doc);
  return text.endsWith('\n') ? text : text + '\n';
}
