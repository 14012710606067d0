// Where a command's time goes: runs it N times with CIVCTL_TRACE_PHASES=1 (the loader and the
// program mark named moments) and once more under --trace-gc, and prints the median of each phase.
// Usage: node bench/phases.mjs RUNS -- node dist/civctl.cjs ARGS...
//        node bench/phases.mjs RUNS -- dist/civctl-linux-x64 ARGS...   (the standalone binary: no GC
//        column, since a V8 flag in NODE_OPTIONS would make it reject the code caches it carries)
import { spawnSync } from 'node:child_process';

const runs = Number(process.argv[2]);
const command = process.argv.slice(process.argv.indexOf('--') + 1);
const env = { ...process.env, CIVCTL_TRACE_PHASES: '1' };
delete env.NODE_EXTRA_CA_CERTS;
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** One run's phases, in ms, from its marks: each phase ends at the first mark named for its end. */
function phases(marks) {
  const at = (pred) => marks.find(([name]) => pred(name))?.[1];
  const loader = at((n) => n === 'loader');
  // The program's chunks (program, program-<command>, program-shared, …): each read and compiled
  // when the run first needs it (scripts/program-split.mjs).
  const chunkTime = (name) =>
    (at((n) => n === `${name}:loaded`) ?? 0) - (at((n) => n === `${name}:start`) ?? 0);
  const programChunks = [
    ...new Set(marks.map(([n]) => /^(program[\w-]*):start$/.exec(n)?.[1]).filter(Boolean)),
  ];
  const undiciStart = at((n) => n === 'undici:start');
  const undici = at((n) => n === 'undici:loaded');
  const requests = marks.filter(([n]) => n.startsWith('request ') || n.startsWith('answered '));
  const lint = at((n) => n === 'lint');
  const parsed = at((n) => n === 'parsed');
  const validated = at((n) => n === 'validated');
  const done = at((n) => n === 'done');
  const exit = at((n) => n === 'exit');
  const out = {
    bootstrap: loader,
    'load/compile':
      at((n) => n === 'program:start') - loader + programChunks.reduce((t, c) => t + chunkTime(c), 0),
  };
  if (undici !== undefined) out.undici = undici - undiciStart;
  let request = 0;
  for (let i = 0; i + 1 < requests.length; i += 2) request += requests[i + 1][1] - requests[i][1];
  if (requests.length > 0) out['connect+requests'] = request;
  if (parsed !== undefined) out.parse = parsed - lint;
  if (validated !== undefined) out.validate = validated - parsed;
  out.exit = exit - done;
  out.total = exit;
  return out;
}

const all = [];
for (let i = 0; i < runs + 2; i++) {
  const r = spawnSync(command[0], command.slice(1), { env, encoding: 'utf8' });
  const line = r.stderr.split('\n').find((l) => l.startsWith('civctl phases: '));
  if (!line) throw new Error(`no phases from ${command.join(' ')}: ${r.stderr}`);
  if (i >= 2) all.push(phases(JSON.parse(line.slice('civctl phases: '.length))));
}
// GC: the pause times V8 reports with --trace-gc (a run of its own: the flag changes timings).
const gcEnv = { ...env };
delete gcEnv.CIVCTL_TRACE_PHASES;
const gcRuns = [];
for (let i = 0; i < (command[0] === 'node' ? 5 : 0); i++) {
  const r = spawnSync(command[0], ['--trace-gc', ...command.slice(1)], { env: gcEnv, encoding: 'utf8' });
  gcRuns.push([...r.stdout.matchAll(/, ([\d.]+) \/ [\d.]+ ms/g)].reduce((s, m) => s + Number(m[1]), 0));
}
const result = {};
for (const key of Object.keys(all[0])) result[key] = median(all.map((p) => p[key] ?? 0));
if (gcRuns.length > 0) result.gc = median(gcRuns);
// The command as the report labels it: civctl's arguments after `node`, or the binary's path.
console.log(
  JSON.stringify({ command: command.slice(command[0] === 'node' ? 1 : 0).join(' '), phases: result }),
);
