/**
 * Editing a digestion allowlist in place: only the `trustedDigests` array is rewritten, in the
 * style it already has (one line, or one digest per line with its indentation); every other key,
 * the order of the entries that stay and their spelling are kept. New digests are appended, none
 * twice. Pure: bytes in, bytes out.
 */
import { loadDigestionPolicy } from './image-verifiers.ts';
import { type JsonNode, latin1View, parseJson } from './json.ts';

/** What a new allowlist file holds before anything is added. */
export const EMPTY_ALLOWLIST = '{"version":"1.0","trustedDigests":[]}';

export interface AllowlistEdit {
  bytes: Uint8Array;
  /** Digests in the list after the edit, in order. */
  digests: string[];
  added: string[];
  removed: string[];
  /** Asked to add, but already listed. */
  present: string[];
  /** Asked to remove, but not listed. */
  absent: string[];
}

/** Why these bytes cannot be edited as an allowlist, or undefined. */
export function allowlistProblem(bytes: Uint8Array): string | undefined {
  const loaded = loadDigestionPolicy(bytes);
  if (loaded.kind === 'reject')
    return `it is not a digestion policy the verifier can load (${loaded.message})`;
  if (loaded.kind === 'skip' && loaded.reason === 'empty-file') return 'it is empty';
  return undefined;
}

/** The digests the list holds now. */
export function listedDigests(bytes: Uint8Array): string[] {
  const loaded = loadDigestionPolicy(bytes);
  return loaded.kind === 'load' ? loaded.digests : [];
}

const decoder = new TextDecoder();

/** The whitespace that starts the line `offset` is on. */
function indentAt(text: string, offset: number): string {
  const lineStart = text.lastIndexOf('\n', offset - 1) + 1;
  return /^[ \t]*/.exec(text.slice(lineStart))![0];
}

/** Adds and removes digests; `bytes` must pass allowlistProblem. */
export function editAllowlist(bytes: Uint8Array, add: string[], remove: string[]): AllowlistEdit {
  const parsed = parseJson(bytes, { maxDepth: 128, allowTrailing: false });
  if (!parsed.ok || parsed.node.kind !== 'object') throw new Error('editAllowlist: not an allowlist object');
  const member = parsed.node.members.findLast((m) => m.key === 'trustedDigests');
  const list = member?.value;
  if (list?.kind !== 'array') throw new Error('editAllowlist: no trustedDigests array');
  // One character per byte, so that the parser's byte offsets index it directly.
  const text = latin1View(bytes);
  // Offsets are bytes; the text is sliced through a byte view so multi-byte characters stay put.
  const slice = (start: number, end: number) => decoder.decode(bytes.subarray(start, end));
  const items = list.items.map((item: JsonNode) => ({
    value: item.kind === 'string' ? item.value : '',
    raw: slice(item.start, item.end),
  }));
  const removeSet = new Set(remove);
  const removed = [...new Set(items.filter((i) => removeSet.has(i.value)).map((i) => i.value))];
  const kept = items.filter((i) => !removeSet.has(i.value));
  const listed = new Set(kept.map((i) => i.value));
  const added: string[] = [];
  const present: string[] = [];
  for (const digest of add) {
    if (listed.has(digest)) {
      if (!removeSet.has(digest) || items.some((i) => i.value === digest)) present.push(digest);
      continue;
    }
    listed.add(digest);
    added.push(digest);
  }
  const absent = remove.filter((d) => !items.some((i) => i.value === d));
  const entries = [...kept.map((i) => i.raw), ...added.map((d) => JSON.stringify(d))];
  if (added.length === 0 && removed.length === 0)
    return { bytes, digests: kept.map((i) => i.value), added, removed, present, absent };

  const arrayText = slice(list.start, list.end);
  const multiLine = arrayText.includes('\n') || (items.length === 0 && text.includes('\n'));
  let rendered: string;
  if (entries.length === 0) rendered = '[]';
  else if (multiLine) {
    const closeIndent = items.length > 0 ? indentAt(text, list.end - 1) : indentAt(text, member!.keyStart);
    const itemIndent = items.length > 0 ? indentAt(text, list.items[0]!.start) : `${closeIndent}  `;
    rendered = `[\n${entries.map((e) => itemIndent + e).join(',\n')}\n${closeIndent}]`;
  } else {
    // The separator the list already uses, else the one the document uses between members.
    const between = items.length > 1 ? slice(list.items[0]!.end, list.items[1]!.start) : text;
    rendered = `[${entries.join(/,\s/.test(between) ? ', ' : ',')}]`;
  }
  const out = Buffer.concat([bytes.subarray(0, list.start), Buffer.from(rendered), bytes.subarray(list.end)]);
  return { bytes: out, digests: [...kept.map((i) => i.value), ...added], added, removed, present, absent };
}
