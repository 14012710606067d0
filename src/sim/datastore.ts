/** The simulator's datastore: live settings and named pending transactions, as flat dotted keys. */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';

export class Datastore {
  readonly live = new Map<string, unknown>();
  readonly pending = new Map<string, Map<string, unknown>>();

  constructor(private readonly statePath?: string) {
    if (statePath) this.load();
  }

  private load(): void {
    let text: string;
    try {
      text = readFileSync(this.statePath!, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    const state = JSON.parse(text) as { live?: Record<string, unknown> };
    for (const [k, v] of Object.entries(state.live ?? {})) this.live.set(k, v);
  }

  private save(): void {
    if (!this.statePath) return;
    const tmp = `${this.statePath}.tmp-${process.pid}`;
    writeFileSync(tmp, JSON.stringify({ live: Object.fromEntries(this.live) }, null, 2) + '\n');
    renameSync(tmp, this.statePath);
  }

  /** Merge-only: PATCH never deletes keys. */
  stage(tx: string, values: Map<string, unknown>): void {
    let p = this.pending.get(tx);
    if (!p) {
      p = new Map();
      this.pending.set(tx, p);
    }
    for (const [k, v] of values) p.set(k, v);
  }

  /** Commits every pending key, even ones equal to the live value; undefined when nothing is pending. */
  commit(tx: string): string[] | undefined {
    const p = this.pending.get(tx);
    if (!p || p.size === 0) return undefined;
    for (const [k, v] of p) this.live.set(k, v);
    this.pending.delete(tx);
    this.save();
    return [...p.keys()].sort();
  }

  discard(tx: string): string[] {
    const p = this.pending.get(tx);
    this.pending.delete(tx);
    return p ? [...p.keys()].sort() : [];
  }
}

/** Flat dotted keys → nested objects, keeping only keys that start with the prefix. */
export function nest(flat: Map<string, unknown>, prefix = '', strip = ''): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const key of [...flat.keys()].sort()) {
    if (!key.startsWith(prefix)) continue;
    const parts = key.slice(strip.length).split('.');
    let node = root;
    parts.forEach((part, i) => {
      if (i === parts.length - 1) node[part] = flat.get(key);
      else {
        if (typeof node[part] !== 'object' || node[part] === null) node[part] = {};
        node = node[part] as Record<string, unknown>;
      }
    });
  }
  return root;
}
