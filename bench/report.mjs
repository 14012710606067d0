// Prints the benchmark tables: each command's median time, its ratio to `node -e 0` (medians of
// the same rounds: bench/merge.mjs) and its milliseconds above it; the scaling of lint with input size; the
// per-phase breakdown; and resolve against skopeo.
import { readFileSync } from 'node:fs';

const [mainFile, coldFile, scalingFile, phasesFile, resolveFile] = process.argv.slice(2);
const results = (file) => JSON.parse(readFileSync(file, 'utf8')).results;
const ms = (s) => (s * 1000).toFixed(1);
const label = (c) =>
  c
    .replace(/node \S*dist\/civctl\.cjs/, 'civctl')
    .replace(/^(node )?\S*dist\/civctl-linux-(\w+)/, 'binary ($2)')
    .replace(/^env CIVCTL_CACHE_DIR=\S*\/(warm|cold)-cache (\S+)/, '$2 [$1 compile cache]')
    .replace(/-s \S+ /, '-s SOCK ')
    .replace(/\S*\.fixtures\//g, '')
    .replace(/docker:\/\/\S+\//, 'docker://REGISTRY/')
    .replace(/resolve [^/\s]+\//, 'resolve REGISTRY/');

function table(file, title) {
  const rows = results(file);
  const base = rows.find((r) => r.command === 'node -e 0').median;
  const { rounds } = JSON.parse(readFileSync(file, 'utf8'));
  console.log(
    `\n${title} (median of ${rows[0].times.length} runs each, in ${rounds} rounds of every command)`,
  );
  console.log(
    `${'command'.padEnd(60)} ${'median'.padStart(8)} ${'ratio'.padStart(6)} ${'above node'.padStart(11)}`,
  );
  for (const r of rows)
    console.log(
      `${label(r.command).slice(0, 60).padEnd(60)} ${ms(r.median).padStart(6)}ms ${(r.median / base).toFixed(2).padStart(5)}× ${ms(r.median - base).padStart(8)}ms`,
    );
  return { rows, base };
}

const main = table(mainFile, 'Start-up and large-policy lint');
const bundleGet = main.rows.find((r) => r.command.includes('civctl.cjs -s '));
const binaryGet = main.rows.find((r) => /civctl-linux-\w+ -s /.test(r.command));
if (bundleGet && binaryGet)
  console.log(
    `standalone binary's get: ${(binaryGet.median / bundleGet.median).toFixed(2)} × the bundle's (never slower: ${binaryGet.median <= bundleGet.median ? 'met' : 'not met'})`,
  );
const cold = table(coldFile, 'First run with an empty compile cache, beside a warm one');
const [warmRow, coldRow] = cold.rows.slice(1);
if (warmRow && coldRow)
  console.log(`cold first run: ${ms(coldRow.median - warmRow.median)} ms more than the warm run`);
const scaling = table(scalingFile, 'Scaling: lint time above node -e 0');
for (const kind of ['digestion', 'notation']) {
  const points = scaling.rows
    .filter((r) => r.command.includes(`${kind}-`))
    .map((r) => [Number(/-(\d+)\.json/.exec(r.command)[1]), (r.median - scaling.base) * 1000]);
  const [small, , large] = points;
  if (small && large)
    console.log(
      `${kind}: ${points.map(([n, t]) => `${n} → ${t.toFixed(1)} ms`).join(', ')}; per item ${(small[1] / small[0]).toFixed(4)} ms at ${small[0]}, ${(large[1] / large[0]).toFixed(4)} ms at ${large[0]} (no quadratic path when the second is not larger)`,
    );
}
console.log(
  '\nPhases (median ms; bootstrap is Node itself up to the first line of civctl; GC from --trace-gc)',
);
for (const line of readFileSync(phasesFile, 'utf8').trim().split('\n')) {
  const { command, phases } = JSON.parse(line);
  console.log(
    `${label(`node ${command}`).padEnd(44)} ${Object.entries(phases)
      .map(([k, v]) => `${k} ${v.toFixed(1)}`)
      .join(', ')}`,
  );
}
if (resolveFile) {
  const rows = results(resolveFile);
  const base = rows.find((r) => r.command === 'node -e 0').median;
  const skopeo = rows.find((r) => r.command.startsWith('skopeo')).median;
  const civctl = rows.find((r) => r.command.includes('resolve')).median;
  table(resolveFile, 'resolve against skopeo, one loopback registry');
  console.log(
    `goal: civctl resolve within 1.5 × skopeo + node -e 0 = ${ms(1.5 * skopeo + base)} ms; measured ${ms(civctl)} ms (${civctl <= 1.5 * skopeo + base ? 'met' : 'not met'})`,
  );
}
