// Runs every test/**/*.test.ts with node's test runner (through tsx), and fails when none ran:
// Node 20 does not expand globs itself and silently passes an empty run.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';

/** Test files under a folder, recursively, in a stable order (fixtures hold data, not tests). */
function testFiles(dir) {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) return entry.name === 'fixtures' ? [] : testFiles(path);
      return entry.name.endsWith('.test.ts') ? [path] : [];
    })
    .sort();
}

const files = testFiles('test');
if (files.length === 0) {
  console.error('run-tests: no test files found under test/');
  process.exit(1);
}
// Arguments select test files by a part of their path; --exclude=PART leaves files out.
const args = process.argv.slice(2);
const excluded = args.filter((a) => a.startsWith('--exclude=')).map((a) => a.slice('--exclude='.length));
const only = args.filter((a) => !a.startsWith('--exclude='));
const selected = (only.length > 0 ? files.filter((f) => only.some((o) => f.includes(o))) : files).filter(
  (f) => !excluded.some((e) => f.includes(e)),
);
const result = spawnSync(
  process.execPath,
  [
    '--import',
    'tsx',
    '--test',
    `--test-concurrency=${availableParallelism()}`,
    '--test-reporter=spec',
    ...selected,
  ],
  { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 },
);
process.stdout.write(result.stdout);
const tests = /ℹ tests (\d+)/.exec(result.stdout);
// exitCode, not process.exit(): a pipe (a CI log) takes stdout asynchronously, and exiting at once
// cut the report off before its summary and failures.
if (!tests || Number(tests[1]) === 0) {
  console.error('run-tests: the test runner reported no tests');
  process.exitCode = 1;
} else {
  process.exitCode = result.status ?? 1;
}
