/**
 * Executes the documentation: every ```console block in docs/*.md runs, and its
 * output must match; every lint rule has a section whose example triggers it.
 * UPDATE_DOCS=1 rewrites the console outputs from what civctl prints.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { RULES } from '../../src/policy/rules.ts';
import type { LookupFunction } from 'node:net';
import { ROOT, run, tempDir, withSim } from '../helpers.ts';
import { startProxy, type TestProxy } from '../proxy.ts';
import { type Rig, rigUnavailable, startRig } from '../registry-rig.ts';

const unavailable = rigUnavailable();
if (unavailable && process.env['CIVCTL_REQUIRE_REGISTRY'] === '1')
  throw new Error(`CIVCTL_REQUIRE_REGISTRY=1 but ${unavailable}`);

const DOCS = join(ROOT, 'docs');
const update = process.env['UPDATE_DOCS'] === '1';
const tmp = tempDir();
after(() => tmp.cleanup());

interface Example {
  command: string;
  expected: string;
}

function splitArgs(command: string): string[] {
  const args: string[] = [];
  const re = /'([^']*)'|"([^"]*)"|(\S+)/g;
  for (let m = re.exec(command); m; m = re.exec(command)) args.push(m[1] ?? m[2] ?? m[3]!);
  return args;
}

/** Where a doc's examples run: a fresh folder that sees the repository's examples/ and docs/. */
function workFolder(): string {
  const dir = mkdtempSync(join(tmp.path, 'doc-'));
  for (const name of ['examples', 'docs']) symlinkSync(join(ROOT, name), join(dir, name));
  return dir;
}

/** Docs show the loopback registry as localhost:5000; the tests' rig listens elsewhere. */
const DOC_REGISTRY = 'localhost:5000';
/**
 * Docs show a forward proxy at localhost:3128 (user civctl, password pr0xy) in front of the same
 * registry named registry.internal:5000, a name the proxy resolves (and, for NO_PROXY examples,
 * the reader's /etc/hosts: here a lookup stands for it).
 */
const DOC_PROXY = 'localhost:3128';
const DOC_PROXIED = 'registry.internal:5000';
let rig: Promise<Rig> | undefined;
let proxy: Promise<TestProxy> | undefined;
after(async () => {
  await (proxy ? (await proxy).stop() : undefined);
  await (rig ? (await rig).stop() : undefined);
});

const internalLookup = ((hostname: string, options: unknown, callback: unknown) => {
  const cb = (typeof options === 'function' ? options : callback) as (...a: unknown[]) => void;
  const all = typeof options === 'object' && options !== null && (options as { all?: boolean }).all;
  if (hostname === 'registry.internal' || hostname === 'localhost')
    return all ? cb(null, [{ address: '127.0.0.1', family: 4 }]) : cb(null, '127.0.0.1', 4);
  cb(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }));
}) as LookupFunction;

async function runExample(
  command: string,
  context: { socket: string; cwd: string; registry?: Rig; proxy?: TestProxy },
  stdin?: string,
): Promise<string> {
  const registry = context.registry?.open;
  const proxied = registry && `registry.internal:${registry.slice(registry.lastIndexOf(':') + 1)}`;
  const swaps: [string, string | undefined][] = [
    [DOC_REGISTRY, registry],
    [DOC_PROXIED, proxied],
    [DOC_PROXY, context.proxy?.address],
  ];
  const swap = (text: string, back = false) =>
    swaps.reduce(
      (t, [doc, real]) => (real ? (back ? t.split(real).join(doc) : t.split(doc).join(real)) : t),
      text,
    );
  // `NAME=value … civctl …`: the assignments are the command's environment.
  const words = splitArgs(swap(command));
  const env: Record<string, string> = { CIVCTL_SOCKET_PATH: context.socket };
  while (/^[A-Za-z_]\w*=/.test(words[0] ?? '')) {
    const word = words.shift()!;
    env[word.slice(0, word.indexOf('='))] = word.slice(word.indexOf('=') + 1);
  }
  const r = await run(words.slice(1), {
    cwd: context.cwd,
    env,
    lookup: internalLookup,
    ...(stdin !== undefined ? { stdin } : {}),
  });
  // Output without a final newline (exact policy bytes) is shown as if it had one.
  const stdout = r.stdout === '' || r.stdout.endsWith('\n') ? r.stdout : r.stdout + '\n';
  return swap(stdout + r.stderr + (r.code !== 0 ? `[exit ${r.code}]\n` : ''), true);
}

const consoleBlock = /```console\n([\s\S]*?)```/g;

function examplesOf(block: string): Example[] {
  const out: Example[] = [];
  for (const line of block.split('\n')) {
    if (line.startsWith('$ ')) out.push({ command: line.slice(2), expected: '' });
    else if (out.length > 0) out[out.length - 1]!.expected += line + '\n';
  }
  for (const e of out) e.expected = e.expected.replace(/\n+$/, '\n').replace(/^\n$/, '');
  return out;
}

const docFiles = readdirSync(DOCS)
  .filter((f) => f.endsWith('.md'))
  .map((f) => join(DOCS, f));

describe('documentation examples run and match', () => {
  for (const path of docFiles) {
    const text = readFileSync(path, 'utf8');
    const needsRegistry = text.includes(DOC_REGISTRY);
    const skip = needsRegistry && unavailable ? `needs the registry rig: ${unavailable}` : false;
    test(path.slice(ROOT.length + 1), { skip }, async () => {
      let rewritten = text;
      const cwd = workFolder();
      if (needsRegistry) rig ??= startRig();
      const registry = rig && needsRegistry ? await rig : undefined;
      if (registry && text.includes(DOC_PROXY)) {
        const port = registry.open.slice(registry.open.lastIndexOf(':') + 1);
        proxy ??= startProxy({
          hosts: { [`registry.internal:${port}`]: registry.open },
          credentials: 'civctl:pr0xy',
        });
      }
      const forwarder = proxy && registry ? await proxy : undefined;
      await withSim(async (socket) => {
        for (const m of text.matchAll(consoleBlock)) {
          let newBlock = '';
          for (const ex of examplesOf(m[1]!)) {
            // Only civctl commands run; `cmd | civctl …` feeds the first command's file.
            const piped = /^cat (\S+) \| (civctl .*)$/.exec(ex.command);
            const stdin = piped ? readFileSync(join(cwd, piped[1]!), 'utf8') : undefined;
            const command = piped ? piped[2]! : ex.command;
            if (!/^([A-Za-z_]\w*=\S*\s+)*civctl /.test(command)) continue;
            const actual = await runExample(
              command,
              {
                socket,
                cwd,
                ...(registry ? { registry } : {}),
                ...(forwarder ? { proxy: forwarder } : {}),
              },
              stdin,
            );
            newBlock += `$ ${ex.command}\n${actual}`;
            if (!update) assert.equal(actual, ex.expected, `${path}: $ ${ex.command}`);
          }
          if (update) rewritten = rewritten.replace(m[0], '```console\n' + newBlock + '```');
        }
      });
      if (update && rewritten !== text) writeFileSync(path, rewritten);
    });
  }
});

describe('docs/lint.md documents every rule with an example that triggers it', () => {
  const text = readFileSync(join(DOCS, 'lint.md'), 'utf8');
  const sections = new Map<string, string>();
  for (const part of text.split(/^### /m).slice(1)) {
    const rule = /^`([^`]+)`/.exec(part)?.[1];
    if (rule) sections.set(rule, part);
  }
  test('every rule has a section', () => {
    assert.deepEqual(
      [...Object.keys(RULES)].filter((r) => !sections.has(r)),
      [],
    );
  });
  for (const [rule, section] of sections) {
    test(rule, async () => {
      assert.ok(RULES[rule], `${rule} is documented but civctl has no such rule`);
      const block = /```(json|toml|yaml) lint([^\n]*)\n([\s\S]*?)```/.exec(section);
      assert.ok(block, `${rule}: no example block`);
      const [, kind, flags, body] = block;
      const tokens = flags!.trim().split(/\s+/).filter(Boolean);
      // Flags: latin1 (bytes that are not UTF-8), padded=N (white space up to N bytes, for size
      // limits Markdown cannot show), with-missing (a second, missing file), schema=PATH,
      // trust-store=PATH (lint --trust-store), a verifier.
      const flagWords = ['latin1', 'with-missing'];
      const verifier = tokens.find((t) => !t.includes('=') && !flagWords.includes(t));
      const padded = Number(tokens.find((t) => t.startsWith('padded='))?.slice('padded='.length) ?? 0);
      const schema = tokens.find((t) => t.startsWith('schema='))?.slice('schema='.length);
      const trustStore = tokens.find((t) => t.startsWith('trust-store='))?.slice('trust-store='.length);
      const effect = /On the node: `([a-z-]+)`/.exec(section)?.[1];
      const file = join(tmp.path, `${rule.replace('/', '-')}.${kind}`);
      const content = padded > body!.length ? body! + '\n'.repeat(padded - body!.length) : body!;
      // latin1: the example stands for bytes that are not UTF-8, which Markdown cannot hold.
      writeFileSync(file, tokens.includes('latin1') ? Buffer.from(content, 'latin1') : content);
      const args = [
        'lint',
        '-f',
        'json',
        file,
        ...(tokens.includes('with-missing') ? [join(tmp.path, 'missing.json')] : []),
        ...(verifier ? ['--verifier', verifier] : []),
        ...(schema ? ['--schema', join(ROOT, schema)] : []),
        ...(trustStore ? ['--trust-store', join(ROOT, trustStore)] : []),
      ];
      const out = JSON.parse((await run(args)).stdout);
      const results = out.results as { effect: string; diagnostics: { rule: string }[] }[];
      assert.ok(
        results.some((r) => r.diagnostics.some((d) => d.rule === rule)),
        `${rule} did not fire: ${JSON.stringify(results)}`,
      );
      if (effect)
        assert.ok(
          results.some((r) => r.effect === effect && r.diagnostics.some((d) => d.rule === rule)),
          `${rule}: effect ${effect}`,
        );
    });
  }
});

describe('docs/exit-codes.md', () => {
  test('documents every error code civctl has', () => {
    const codes = [...readFileSync(join(ROOT, 'src', 'errors.ts'), 'utf8').matchAll(/\| '(E_[A-Z_]+)'/g)].map(
      (m) => m[1]!,
    );
    assert.ok(codes.length > 20);
    const doc = readFileSync(join(DOCS, 'exit-codes.md'), 'utf8');
    assert.deepEqual(
      codes.filter((c) => !doc.includes(`\`${c}\``)),
      [],
    );
  });
});
