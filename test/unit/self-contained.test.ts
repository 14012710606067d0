/** A user's clone has only the repository: no test, script or build step may read outside it. */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { ROOT } from '../helpers.ts';

function* sourceFiles(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (name === 'node_modules' || name === 'fixtures' || name === 'dist') continue;
    if (statSync(path).isDirectory()) yield* sourceFiles(path);
    else if (/\.(ts|mjs|js|sh|json)$/.test(name) || name === 'run') yield path;
  }
}

// Paths that climb out of the repository: the research folder beside it, ROOT/.., or a fixed /work path.
const OUTSIDE = [
  /\.\.\/shared/,
  /['"]\.\.['"],\s*['"]shared['"]/,
  /resolve\(ROOT,\s*['"]\.\.['"]/,
  /\/work\/shared/,
];

test('no test, script, bench or CI file names a path outside the repository', () => {
  const offenders: string[] = [];
  let scanned = 0;
  for (const top of ['src', 'test', 'scripts', 'bench', '.ci']) {
    for (const file of sourceFiles(join(ROOT, top))) {
      scanned++;
      const text = readFileSync(file, 'utf8');
      if (file.endsWith('self-contained.test.ts')) continue;
      for (const pattern of OUTSIDE)
        if (pattern.test(text)) offenders.push(`${relative(ROOT, file)}: ${pattern}`);
    }
  }
  assert.ok(scanned > 20, `only ${scanned} files scanned`);
  assert.deepEqual(offenders, []);
});

test('package.json scripts stay inside the repository', () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    scripts: Record<string, string>;
  };
  for (const [name, script] of Object.entries(pkg.scripts)) assert.doesNotMatch(script, /\.\.\//, name);
});
