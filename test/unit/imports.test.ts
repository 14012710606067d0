/**
 * The import graph of src/: no circle between files, and no import that runs up a floor. Every
 * import counts — static, dynamic (`import('…')`), type-only and re-exports — since each is a
 * dependency a reader must follow.
 *
 * The floors are scripts/layout-map.mjs's (ROOMS), which also writes them into docs/architecture.md.
 * cli/ is the framework commands are declared with (cli/spec.ts): commands import it, and it
 * imports no command — bin.ts hands cli/main.ts the command table. output/ renders lint's entries,
 * so it sits above lint/; verifiers/ take registry/'s references and descriptors; policy/ is pure
 * knowledge and imports only the leaves.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { ROOT } from '../helpers.ts';

const SRC = join(ROOT, 'src');

const { FLOORS } = (await import(pathToFileURL(join(ROOT, 'scripts', 'layout-map.mjs')).href)) as {
  FLOORS: string[][];
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** A file's room: its first folder under src/, or its own name for a file at the top. */
const roomOf = (file: string) => relative(SRC, file).split('/')[0]!.replace(/\.ts$/, '');

const floorOf = (room: string) => FLOORS.findIndex((rooms) => rooms.includes(room));

/** Every relative import of a file (static, dynamic, type-only, re-export), resolved to a path. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specifiers = [
    ...text.matchAll(/^\s*(?:import|export)\b[^'";]*?\bfrom\s+'(\.[^']+)'/gm),
    ...text.matchAll(/^\s*import\s+'(\.[^']+)'/gm),
    ...text.matchAll(/\bimport\(\s*'(\.[^']+)'\s*\)/g),
  ].map((m) => m[1]!);
  return specifiers.map((s) => resolve(dirname(file), s));
}

const files = sourceFiles(SRC).sort();
const graph = new Map(files.map((f) => [f, importsOf(f)]));
const shown = (f: string) => relative(ROOT, f);

describe('the import graph of src/', () => {
  test('every import names a file that exists', () => {
    const missing = [...graph].flatMap(([from, tos]) =>
      tos.filter((to) => !graph.has(to)).map((to) => `${shown(from)} → ${shown(to)}`),
    );
    assert.deepEqual(missing, []);
  });

  test('every room has a floor', () => {
    const rooms = [...new Set(files.map(roomOf))].filter((r) => floorOf(r) < 0);
    assert.deepEqual(rooms, [], 'add the room to ROOMS in scripts/layout-map.mjs');
  });

  test('no import runs up a floor', () => {
    const upward = [...graph].flatMap(([from, tos]) =>
      tos
        .filter((to) => graph.has(to) && floorOf(roomOf(to)) < floorOf(roomOf(from)))
        .map((to) => `${shown(from)} → ${shown(to)}`),
    );
    assert.deepEqual(upward, []);
  });

  test('no import circle', () => {
    // Depth-first search; a file met again while still on the path closes a circle.
    const state = new Map<string, 'open' | 'done'>();
    const circles: string[] = [];
    const visit = (file: string, path: string[]) => {
      state.set(file, 'open');
      for (const next of graph.get(file) ?? []) {
        if (state.get(next) === 'open')
          circles.push([...path.slice(path.indexOf(next)), next].map(shown).join(' → '));
        else if (!state.has(next) && graph.has(next)) visit(next, [...path, next]);
      }
      state.set(file, 'done');
    };
    for (const file of files) if (!state.has(file)) visit(file, [file]);
    assert.deepEqual(circles, []);
  });

  test('no command imports another command (commands/index.ts gathers them)', () => {
    const commands = join(SRC, 'commands');
    const shared = new Set(['index.ts', 'options.ts'].map((f) => join(commands, f)));
    const crossing = [...graph].flatMap(([from, tos]) =>
      dirname(from) === commands && !shared.has(from)
        ? tos
            .filter((to) => dirname(to) === commands && !shared.has(to))
            .map((to) => `${shown(from)} → ${shown(to)}`)
        : [],
    );
    assert.deepEqual(crossing, []);
  });

  test('the test sees the imports (a known one is found)', () => {
    assert.ok(graph.get(join(SRC, 'bin.ts'))?.includes(join(SRC, 'cli', 'main.ts')));
  });
});
