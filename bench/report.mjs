// Prints hyperfine results as ratios against `node -e 0`: each ratio is taken within one round,
// and the median over rounds is reported, with the scaling from half to full size.
import { readFileSync } from 'node:fs';

const rounds = process.argv.slice(2).map((f) => JSON.parse(readFileSync(f, 'utf8')).results);
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const commands = rounds[0].map((r) => r.command);
const stats = commands.map((command) => {
  const per = rounds.map((results) => {
    const base = results.find((r) => r.command === 'node -e 0');
    const r = results.find((x) => x.command === command);
    return { mean: r.mean, ratio: r.mean / base.mean, over: r.mean - base.mean };
  });
  return {
    command,
    mean: median(per.map((p) => p.mean)),
    ratio: median(per.map((p) => p.ratio)),
    lo: Math.min(...per.map((p) => p.ratio)),
    hi: Math.max(...per.map((p) => p.ratio)),
    over: median(per.map((p) => p.over)),
  };
});
const label = (c) =>
  c
    .replace(/\S*dist\/civctl\.mjs/, 'civctl')
    .replace(/-s \S+ /, '-s SOCK ')
    .replace(/\S*\.fixtures\//g, '');
console.log(
  `${rounds.length} rounds; ratio = mean time / mean time of node -e 0 in the same round (median, range)`,
);
console.log(`${'command'.padEnd(56)} ${'mean'.padStart(7)}  ${'ratio'.padStart(6)}  range`);
for (const s of stats)
  console.log(
    `${label(s.command).slice(0, 56).padEnd(56)} ${(s.mean * 1000).toFixed(0).padStart(5)}ms  ${s.ratio.toFixed(2).padStart(5)}×  ${s.lo.toFixed(2)}–${s.hi.toFixed(2)}`,
  );
for (const [half, full] of [
  ['digestion-10000.json', 'digestion-20000.json'],
  ['notation-1000.json', 'notation-2000.json'],
]) {
  const h = stats.find((s) => s.command.endsWith(half));
  const f = stats.find((s) => s.command.endsWith(full));
  if (h && f)
    console.log(
      `scaling ${half} → ${full}: time above node -e 0 grew ${(f.over / h.over).toFixed(2)}× for 2× the input`,
    );
}
