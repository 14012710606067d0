/**
 * The API's settings for people, as `get` shows them: keys sorted as apiclient prints them, and
 * every trust policy decoded. (What encode writes for tools is in formats/.)
 */
import { prettyJson } from '../policy/json.ts';
import type { ShownPolicy } from '../policy/settings.ts';
import { escapeJsonText, safeJson } from './escape.ts';

/** Sorted-key JSON, as apiclient prints (serde_json maps without preserve_order). Iterative. */
export function sortKeysDeep(value: unknown): unknown {
  const copy = (v: unknown): unknown =>
    Array.isArray(v) ? [...v] : typeof v === 'object' && v !== null ? { ...(v as object) } : v;
  const root = copy(value);
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const node = stack.pop();
    if (Array.isArray(node)) {
      for (let i = 0; i < node.length; i++) {
        node[i] = copy(node[i]);
        stack.push(node[i]);
      }
    } else if (typeof node === 'object' && node !== null) {
      const record = node as Record<string, unknown>;
      const keys = Object.keys(record).sort();
      const values = keys.map((k) => copy(record[k]));
      for (const k of keys) delete record[k];
      keys.forEach((k, i) => {
        record[k] = values[i];
        stack.push(values[i]);
      });
    }
  }
  return root;
}

/**
 * `{"settings":{"image-verifier-plugins":…}}` with sorted keys, every decodable trust policy
 * shown as the JSON it holds, printed from its own syntax tree (so `get` never rewrites a number,
 * drops a duplicate key or loses precision).
 */
export function renderDecodedSettings(
  plugins: Record<string, unknown>,
  policies: Map<string, ShownPolicy>,
): string {
  const pad = (level: number) => '  '.repeat(level);
  const lines: string[] = [];
  const names = Object.keys(plugins).sort();
  names.forEach((name, i) => {
    const comma = i < names.length - 1 ? ',' : '';
    const value = plugins[name];
    const shown = policies.get(name);
    if (name === 'enabled' || !shown || typeof value !== 'object' || value === null) {
      const text = safeJson(sortKeysDeep(value), 2).replace(/\n/g, `\n${pad(3)}`);
      lines.push(`${pad(3)}${JSON.stringify(name)}: ${text}${comma}`);
      return;
    }
    const rest = Object.keys(value as object)
      .filter((k) => k !== 'trustpolicy')
      .sort();
    const fields = [...rest, 'trustpolicy'].sort().map((k) => {
      if (k !== 'trustpolicy')
        return `${pad(4)}${JSON.stringify(k)}: ${safeJson((value as Record<string, unknown>)[k])}`;
      const text = 'json' in shown ? escapeJsonText(prettyJson(shown.json, '  ', 4)) : safeJson(shown.stored);
      return `${pad(4)}"trustpolicy": ${text}`;
    });
    lines.push(`${pad(3)}${JSON.stringify(name)}: {\n${fields.join(',\n')}\n${pad(3)}}${comma}`);
  });
  const body = lines.length === 0 ? '{}' : `{\n${lines.join('\n')}\n${pad(2)}}`;
  return `{\n${pad(1)}"settings": {\n${pad(2)}"image-verifier-plugins": ${body}\n${pad(1)}}\n}\n`;
}
