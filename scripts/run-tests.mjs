// Runs every test/**/*.test.ts with node's test runner, and fails when none ran: Node 20 does not
// expand globs itself and silently passes an empty run.
//
// The tests are TypeScript, and Node 20 cannot run TypeScript: they used to run through tsx, whose
// loader costs every test process about half a second of CPU (73 processes: a third of the suite's
// CPU time on a 2-core machine). Instead, src/ and test/ are transformed once, file by file, by
// esbuild (no bundling, no type check: `npm run typecheck` does that) into .test-build/, beside
// them so that package.json's "type" and node_modules apply, and the runner runs plain JavaScript.
// Relative imports keep their `.ts` spelling in the sources (tsconfig's allowImportingTsExtensions)
// and are pointed at the `.js` files here. Stack traces map back to the sources (inline source maps).
//
// The in-process tests (test/unit, test/commands, test/docs) run one process per folder rather than one per
// file: each process pays Node's start, the runner and the import of the whole CLI (about a third
// of a second), and this halves those folders' CPU time. Their files share nothing but the module
// cache: every test builds its own Io, servers and temporary folders. The spawn and integration
// tests keep a process each. `--isolate` runs every file in its own process.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { build } from 'esbuild';

/**
 * Where the transformed sources go: a folder per run under the git-ignored .test-build/, so that
 * two runs in one checkout never rewrite each other's files; removed when the run ends, and a run
 * that was killed leaves one that the next run removes.
 */
const BUILDS = '.test-build';
const OUT = join(BUILDS, String(process.pid));

/** Files under a folder ending in `suffix`, recursively, in a stable order (fixtures hold data). */
function filesEndingIn(dir, suffix) {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) return entry.name === 'fixtures' ? [] : filesEndingIn(path, suffix);
      return entry.name.endsWith(suffix) ? [path] : [];
    })
    .sort();
}

/** `from "./x.ts"`, `import "./x.ts"` and `import("./x.ts")` as esbuild prints them. */
const RELATIVE_TS_IMPORT = /((?:\bfrom|\bimport)\s*\(?\s*")(\.{1,2}\/[^"\n]*)\.ts(")/g;

/** Transforms src/ and test/ into OUT, and removes the folders of runs that have ended. */
async function transformSources() {
  const sources = [...filesEndingIn('src', '.ts'), ...filesEndingIn('test', '.ts')];
  const result = await build({
    entryPoints: sources,
    outdir: OUT,
    outbase: '.',
    bundle: false,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    sourcemap: 'inline',
    write: false,
    logLevel: 'error',
  });
  for (const entry of existsSync(BUILDS) ? readdirSync(BUILDS) : [])
    if (!isRunning(Number(entry))) rmSync(join(BUILDS, entry), { recursive: true, force: true });
  for (const file of result.outputFiles) {
    mkdirSync(dirname(file.path), { recursive: true });
    writeFileSync(file.path, file.text.replace(RELATIVE_TS_IMPORT, '$1$2.js$3'));
  }
}

/** Whether a process with this id runs (another run's folder is left alone while it does). */
function isRunning(pid) {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === 'EPERM';
  }
}

const files = filesEndingIn('test', '.test.ts');
if (files.length === 0) {
  console.error('run-tests: no test files found under test/');
  process.exit(1);
}
// Arguments select test files by a part of their path; --exclude=PART leaves files out.
const args = process.argv.slice(2);
const excluded = args.filter((a) => a.startsWith('--exclude=')).map((a) => a.slice('--exclude='.length));
const isolate = args.includes('--isolate');
const unknown = args.filter((a) => a.startsWith('-') && !a.startsWith('--exclude=') && a !== '--isolate');
if (unknown.length > 0) {
  console.error(`run-tests: unknown option ${unknown.join(' ')} (options: --isolate, --exclude=PART)`);
  process.exit(2);
}
const only = args.filter((a) => !a.startsWith('--exclude=') && a !== '--isolate');
const selected = (only.length > 0 ? files.filter((f) => only.some((o) => f.includes(o))) : files).filter(
  (f) => !excluded.some((e) => f.includes(e)),
);
// Without a file, Node's runner would look for tests by itself, under .test-build/ too.
if (selected.length === 0) {
  console.error(`run-tests: no test file under test/ matches ${args.join(' ')}`);
  process.exit(1);
}
await transformSources();

/** Folders whose test files share one process (see the top of this file). */
const GROUPED = ['test/unit/', 'test/commands/', 'test/docs/'];

/** The files the runner runs: transformed test files, and one generated file per grouped folder. */
function runnerFiles() {
  const transformed = (file) => join(OUT, file).replace(/\.ts$/, '.js');
  if (isolate) return selected.map(transformed);
  const groups = new Map();
  for (const file of selected) {
    const key = GROUPED.find((folder) => file.startsWith(folder)) ?? file;
    groups.set(key, [...(groups.get(key) ?? []), file]);
  }
  const grouped = [];
  const alone = [];
  for (const [key, members] of groups) {
    if (members.length === 1) {
      (GROUPED.includes(key) ? grouped : alone).push(transformed(members[0]));
      continue;
    }
    const group = join(OUT, 'groups', `${key.replaceAll('/', '-').replace(/-$/, '')}.test.js`);
    mkdirSync(dirname(group), { recursive: true });
    const imports = members.map((m) => `import ${JSON.stringify(relative(dirname(group), transformed(m)))};`);
    writeFileSync(group, `${imports.join('\n')}\n`);
    grouped.push(group);
  }
  // The groups first: they are the longest, and the runner starts files in the order given.
  return [...grouped, ...alone];
}

const result = spawnSync(
  process.execPath,
  [
    '--enable-source-maps',
    '--test',
    // One more process than cores: several tests wait on timers and children, leaving a core idle.
    `--test-concurrency=${availableParallelism() + 1}`,
    '--test-reporter=spec',
    ...runnerFiles(),
  ],
  { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 },
);
rmSync(OUT, { recursive: true, force: true });
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
