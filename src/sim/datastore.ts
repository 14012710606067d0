/** The simulator's datastore: live settings and named pending transactions, as flat dotted keys. */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';

export class Datastore {
  readonly live = new Map<string, unknown>();
  readonly pending = new Map<string, Map<string, unknown>>();

  /** Loads the state file and checks at once that it can be written (not on the first commit). */
  constructor(private readonly statePath?: string) {
    if (statePath) {
      this.load();
      this.save();
    }
  }

  private load(): void {
    let text: string;
    try {
      text = readFileSync(this.statePath!, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    let state: { live?: Record<string, unknown> };
    try {
      state = JSON.parse(text) as { live?: Record<string, unknown> };
    } catch (err) {
      throw new Error(`the state file ${this.statePath} is not valid JSON (${(err as Error).message})`);
    }
    for (const [k, v] of Object.entries(state.live ?? {})) this.live.set(k, v);
  }

  private save(): void {
    if (!this.statePath) return;
    const tmp = `${this.statePath}.tmp-${process.pid}`;
    try {
      writeFileSync(tmp, JSON.stringify({ live: Object.fromEntries(this.live) }, null, 2) + '\n');
      renameSync(tmp, this.statePath);
    } catch (err) {
      throw new Error(
        `cannot write the state file ${this.statePath}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      );
    }
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
    const previous = new Map(this.live);
    for (const [k, v] of p) this.live.set(k, v);
    try {
      this.save();
    } catch (err) {
      // A commit that cannot be kept is not applied: roll back, leave the transaction pending.
      this.live.clear();
      for (const [k, v] of previous) this.live.set(k, v);
      throw err;
    }
    this.pending.delete(tx);
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
