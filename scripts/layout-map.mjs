// The maps of src/ — the tree in docs/architecture.md and the README's layout paragraph — written
// from the rooms below and each file's opening comment, so that they cannot drift:
// `node scripts/layout-map.mjs` rewrites both, `--check` fails when either disagrees
// (test/unit/layout-map.test.ts runs it). The floors are also the rule test/unit/imports.test.ts
// holds the imports to: a file imports its own floor and those below, never one above.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';

/** The rooms of src/, floor by floor from the top; a room is a folder, or a file at the top. */
export const ROOMS = [
  { floor: 0, room: 'bin.ts', says: 'the process boundary' },
  {
    floor: 1,
    room: 'commands',
    says: 'one file per command, a declaration plus wiring; index.ts is the table, options.ts the options several share',
  },
  {
    floor: 2,
    room: 'cli',
    says: 'the framework commands are declared with, and how argv becomes one command call; imports no command',
  },
  {
    floor: 3,
    room: 'inputs',
    says: 'what the user hands in, read and checked, and the options that say how',
  },
  { floor: 3, room: 'allowlist', says: "digests' edits of a digestion allowlist, in a file or on the node" },
  { floor: 4, room: 'output', says: 'everything composed for people or machines' },
  { floor: 5, room: 'lint', says: 'linting a file of any kind: its routing and its report entries' },
  {
    floor: 6,
    room: 'formats',
    says: 'every settings format: read, rendered, merged into a user’s file, held to its size budget',
  },
  {
    floor: 7,
    room: 'api',
    says: 'the Bottlerocket API over undici on the Unix socket; knows HTTP, not the CLI',
  },
  { floor: 7, room: 'sim', says: 'the API simulator; validates with policy/, never with a second copy' },
  {
    floor: 8,
    room: 'verifiers',
    says: 'what the node decides for one image, as containerd and the verifiers do',
  },
  { floor: 9, room: 'registry', says: 'OCI registries as containerd and notation reach them' },
  { floor: 10, room: 'policy', says: 'pure knowledge of policies: no I/O, no printing' },
  ...['errors.ts', 'io.ts', 'trace.ts', 'timers.ts', 'version.ts', 'process-group.ts'].map((room) => ({
    floor: 11,
    room,
    says: 'a leaf every room may import',
  })),
];

/** The floors, top first: each a list of room names (a top-level file without its .ts). */
export const FLOORS = [...new Set(ROOMS.map((r) => r.floor))].map((floor) =>
  ROOMS.filter((r) => r.floor === floor).map((r) => r.room.replace(/\.ts$/, '')),
);

const ROOT = join(import.meta.dirname, '..');
const SRC = join(ROOT, 'src');
const WIDTH = 100;
const COLUMN = 24;

/** The first sentence of a file's opening comment (a `/** … *\/` block or `//` lines). */
export function openingSentence(text) {
  const block = /^\/\*\*([\s\S]*?)\*\//.exec(text);
  const lines = block
    ? block[1].split('\n').map((l) => l.replace(/^\s*\*\s?/, ''))
    : text
        .split('\n')
        .filter((_, i, all) => all.slice(0, i + 1).every((x) => x.startsWith('//')))
        .map((l) => l.replace(/^\/\/\s?/, ''));
  const joined = lines.join(' ').replace(/\s+/g, ' ').trim();
  if (joined === '') return undefined;
  const end = /(?<!\b(?:e\.g|i\.e|vs|cf))\.(?=\s|$)/.exec(joined);
  return end ? joined.slice(0, end.index) : joined;
}

function filesOf(dir) {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) =>
      e.isDirectory() ? filesOf(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
    )
    .sort();
}

/** `name` and its description, the description wrapped into the column. */
function row(indent, name, description) {
  const words = description.split(' ');
  const lines = [];
  let line = '';
  for (const word of words) {
    if (line !== '' && COLUMN + line.length + 1 + word.length > WIDTH) {
      lines.push(line);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  lines.push(line);
  const head = `${' '.repeat(indent)}${name}`;
  const first =
    head.length < COLUMN - 1
      ? `${head.padEnd(COLUMN)}${lines[0]}`
      : `${head}\n${' '.repeat(COLUMN)}${lines[0]}`;
  return [first, ...lines.slice(1).map((l) => `${' '.repeat(COLUMN)}${l}`)].join('\n');
}

/** Every file of src/ without an opening comment, for the test to name. */
export function filesWithoutOpening() {
  return filesOf(SRC)
    .filter((f) => openingSentence(readFileSync(f, 'utf8')) === undefined)
    .map((f) => relative(ROOT, f));
}

/** The tree for docs/architecture.md: each room, then each of its files with its first sentence. */
export function tree() {
  const out = ['src/'];
  for (const { room, says } of ROOMS) {
    if (room.endsWith('.ts')) {
      const sentence = openingSentence(readFileSync(join(SRC, room), 'utf8')) ?? says;
      out.push(row(2, room, sentence));
      continue;
    }
    out.push(row(2, `${room}/`, says));
    for (const file of filesOf(join(SRC, room)))
      out.push(row(4, relative(join(SRC, room), file), openingSentence(readFileSync(file, 'utf8')) ?? ''));
  }
  return out.join('\n');
}

/** The floors in one line each, for docs/architecture.md. */
function floorsText() {
  return FLOORS.map(
    (rooms, i) =>
      `${i}. ${rooms.map((r) => (r.endsWith('.ts') || !ROOMS.some((x) => x.room === r) ? `\`${r}.ts\`` : `\`${r}/\``)).join(', ')}`,
  ).join('\n');
}

/** The README's paragraph: the rooms floor by floor, with what each holds. */
function paragraph() {
  const rooms = ROOMS.filter((r) => r.floor < 11)
    .map((r) => `\`src/${r.room}${r.room.endsWith('.ts') ? '' : '/'}\` (${r.says})`)
    .join(', ');
  return wrap(
    `Layout, floor by floor from the top: ${rooms}; below them the leaves (\`errors.ts\`, \`io.ts\`, \`trace.ts\`, \`timers.ts\`, \`version.ts\`, \`process-group.ts\`). A file imports its own floor and those below, never one above (test/unit/imports.test.ts). Tests in \`test/unit\`, \`test/commands\`, \`test/e2e\`, \`test/integration\`; docs in \`docs/\`. [docs/architecture.md](docs/architecture.md) has the whole tree, each file with the first sentence of its opening comment.`,
  );
}

/** A paragraph wrapped at the width the README keeps. */
function wrap(text) {
  const lines = [''];
  for (const word of text.split(' ')) {
    const last = lines.length - 1;
    if (lines[last] !== '' && lines[last].length + 1 + word.length > WIDTH) lines.push(word);
    else lines[last] = lines[last] === '' ? word : `${lines[last]} ${word}`;
  }
  return lines.join('\n');
}

const BEGIN = '<!-- layout-map: begin (scripts/layout-map.mjs writes this part) -->';
const END = '<!-- layout-map: end -->';

/** The generated parts, as they should read. */
export function expected() {
  return {
    'docs/architecture.md': `\`\`\`\n${tree()}\n\`\`\`\n\nFloors, from the top (a file imports its own floor and those below, never one above; \`test/unit/imports.test.ts\` holds every import to it, with no circle):\n\n${floorsText()}`,
    'README.md': paragraph(),
  };
}

/** The file with its generated part replaced. */
export function rewritten(path, generated) {
  const text = readFileSync(join(ROOT, path), 'utf8');
  const begin = text.indexOf(BEGIN);
  const end = text.indexOf(END);
  if (begin < 0 || end < begin) throw new Error(`${path}: no ${BEGIN} … ${END} markers`);
  return `${text.slice(0, begin + BEGIN.length)}\n${generated}\n${text.slice(end)}`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const check = process.argv.includes('--check');
  let stale = 0;
  for (const [path, generated] of Object.entries(expected())) {
    const now = readFileSync(join(ROOT, path), 'utf8');
    const then = rewritten(path, generated);
    if (now === then) continue;
    if (check) {
      console.error(`${path} disagrees with the source; run node scripts/layout-map.mjs`);
      stale++;
    } else writeFileSync(join(ROOT, path), then);
  }
  process.exitCode = stale > 0 ? 1 : 0;
}
