// Prints hyperfine results as ratios against `node -e 0`, and the scaling from half size.
import { readFileSync } from 'node:fs';

const { results } = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const base = results.find((r) => r.command === 'node -e 0');
const ms = (s) => (s * 1000).toFixed(0).padStart(5);
console.log(
  `${'command'.padEnd(58)} ${'mean'.padStart(6)} ${'σ'.padStart(5)} ${'min'.padStart(5)}  ratio (mean)  ratio (min)`,
);
for (const r of results) {
  console.log(
    `${r.command
      .replace(/\S*dist\/civctl\.mjs/, 'civctl')
      .replace(/\S*\.fixtures\//g, '')
      .slice(0, 58)
      .padEnd(
        58,
      )} ${ms(r.mean)}ms ${ms(r.stddev)} ${ms(r.min)}  ${(r.mean / base.mean).toFixed(2).padStart(11)}× ${(r.min / base.min).toFixed(2).padStart(10)}×`,
  );
}
// Linear in the input: the work above `node -e 0` should roughly double from half to full size.
const pairs = [
  ['digestion-10000.json', 'digestion-20000.json'],
  ['notation-1000.json', 'notation-2000.json'],
];
for (const [half, full] of pairs) {
  const h = results.find((r) => r.command.endsWith(half));
  const f = results.find((r) => r.command.endsWith(full));
  if (!h || !f) continue;
  const scaling = (f.mean - base.mean) / Math.max(1e-6, h.mean - base.mean);
  console.log(`scaling ${half} → ${full}: work above node -e 0 grew ${scaling.toFixed(2)}× for 2× the input`);
}
