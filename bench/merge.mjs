// Merges the JSON exports of several hyperfine rounds of the same commands into one: each command's
// times from every round, and their median. A round is a few runs of every command one after the
// other, so the machine's drift (10-30 % within minutes on a shared VM) reaches every command alike,
// which one long hyperfine run per table (all of one command's runs, then the next's) does not.
// Usage: node bench/merge.mjs OUT.json ROUND.json...
import { readFileSync, writeFileSync } from 'node:fs';

const [out, ...rounds] = process.argv.slice(2);
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
const all = rounds.map((file) => JSON.parse(readFileSync(file, 'utf8')).results);
const results = all[0].map((first, i) => {
  const rows = all.map((r) => r[i]);
  if (rows.some((r) => r.command !== first.command)) throw new Error('the rounds ran different commands');
  const times = rows.flatMap((r) => r.times);
  return {
    command: first.command,
    times,
    median: median(times),
    user: mean(rows.map((r) => r.user)),
    system: mean(rows.map((r) => r.system)),
  };
});
writeFileSync(out, JSON.stringify({ rounds: rounds.length, results }));
