/**
 * Every command, through a file civctl ships — dist/civctl.cjs, dist/civctl.mjs or the standalone
 * binary (test/e2e/bundle.test.ts, test/e2e/standalone-commands.test.ts) — from a table built from
 * the command declarations (COMMANDS): its help (exactly as test/fixtures/help records it) and a
 * usage error (generated from the declaration; for one command, and for every command in CI's
 * full run: they load the same two chunks whatever the command), one success and one failure
 * (dist/civctl.mjs: its failures, those of the same program, in CI's full run) (CASES below: a command without them fails
 * bundle.test.ts), and which lazy chunks each run loads (CIVCTL_TRACE_CHUNKS=1; the standalone
 * binary runs the same loader over the same chunks). The commands that talk to the API or a
 * registry (talksTo) must be exactly those that load undici; the loader sets --liftoff-only exactly
 * when undici is loaded under V8 11 (Node 20), never under the binary's Node. The registry commands reach a
 * loopback registry under a name that is not loopback (registry.test), through a loopback proxy:
 * a proxied client never looks the name up.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { COMMANDS } from '../../src/commands/index.ts';
import { type CommandSpec, commandOptions, talksToOf } from '../../src/cli/spec.ts';
import { startSimulator } from '../../src/sim/server.ts';
import {
  type Built,
  CORPUS,
  type FakeRegistry,
  isOneCleanLine,
  FULL,
  fullOnly,
  ROOT,
  type RunResult,
  runBuiltAsync,
  startFakeRegistry,
  tempDir,
  tracedChunks,
  builtChunkNames,
  builtDataChunkNames,
  isProgramSplit,
} from '../helpers.ts';
import { startProxy, type TestProxy } from '../proxy.ts';

const DIGESTION = join(ROOT, 'examples', 'digestion-redis.json');
const HELP_FIXTURES = join(ROOT, 'test', 'fixtures', 'help');
/** A signed image whose signing certificate expired (corpus/notation-verify, written for this project). */
const SIGNED = join(CORPUS, 'notation-verify', 'cases', 'dev-expiry-003-leaf-expired-signed-inside-ca');
const SIGNED_IMAGE =
  'localhost:5000/app@sha256:6eca3f1bdefc8cca1567da4bb7bbb0325b3ac38e533bd7983893729c9f9103f1';

/** What a case runs in: a folder of its own (the cwd), the API simulator at ./api, a registry, a proxy. */
interface Fixture {
  dir: string;
  registry: FakeRegistry;
  proxy: TestProxy;
  /** The environment for registry commands: every registry through the proxy. */
  proxied: Record<string, string>;
  file(name: string, content: string): string;
}

interface Case {
  args: string[];
  code: number;
  env?: Record<string, string>;
  stdout?: RegExp;
  stderr?: RegExp;
  /** civctl sim: SIGTERM once stderr matches. */
  until?: RegExp;
  /** The chunks the bundle compiles for this run, in load order. */
  chunks: string[];
  /** More to check after the run (files written, what the registry or proxy saw). */
  afterwards?: (r: RunResult) => void;
}

const policyOf = (digests: string[]) => JSON.stringify({ version: '1.0', trustedDigests: digests });

/** One success and one failure per command. The sim's state carries over, in COMMANDS' order. */
export const CASES: Record<string, { success: (f: Fixture) => Case; failure: (f: Fixture) => Case }> = {
  encode: {
    success: () => ({
      args: ['encode', 'digestion', DIGESTION],
      code: 0,
      stdout: /^[A-Za-z0-9+/]+=*\n$/,
      chunks: ['program'],
    }),
    failure: (f) => ({
      args: ['encode', 'notation', join(f.dir, 'missing.json')],
      code: 1,
      stderr: /missing\.json/,
      chunks: ['program'],
    }),
  },
  decode: {
    success: () => ({
      args: ['decode', Buffer.from(readFileSync(DIGESTION)).toString('base64')],
      code: 0,
      stdout: /trustedDigests/,
      chunks: ['program'],
    }),
    failure: () => ({ args: ['decode', 'not base64!'], code: 1, stderr: /base64/, chunks: ['program'] }),
  },
  lint: {
    success: () => ({ args: ['lint', DIGESTION], code: 0, chunks: ['program'] }),
    failure: () => ({
      args: ['lint', join(ROOT, 'examples', 'bad-notation-scope.json')],
      code: 1,
      stdout: /error/,
      chunks: ['program'],
    }),
  },
  get: {
    // `-s api`: a global option's value that looks like a command word, before the command.
    success: () => ({
      args: ['-s', 'api', 'get'],
      code: 0,
      stdout: /^\{\}\n$/,
      chunks: ['program', 'undici'],
    }),
    failure: () => ({
      args: ['-s', 'missing.sock', 'get'],
      code: 1,
      stderr: /missing\.sock does not exist/,
      chunks: ['program', 'undici'],
    }),
  },
  set: {
    success: () => ({
      args: ['-s', 'api', 'set', 'digestion', DIGESTION],
      code: 0,
      stderr: /committed settings\.image-verifier-plugins\.digestion\.trustpolicy/,
      chunks: ['program', 'undici'],
    }),
    // Refused by lint before the API is contacted: undici never loads.
    failure: () => ({
      args: ['-s', 'api', 'set', 'digestion', join(ROOT, 'examples', 'bad-notation-scope.json')],
      code: 1,
      stderr: /fails lint for the digestion verifier/,
      chunks: ['program'],
    }),
  },
  apply: {
    success: () => ({
      args: ['-s', 'api', 'apply', join(ROOT, 'docs', 'examples', 'saved-settings.json')],
      code: 0,
      stderr: /committed settings\.image-verifier-plugins\.enabled/,
      chunks: ['program', 'smol-toml', 'undici'],
    }),
    failure: () => ({
      args: ['-s', 'api', 'apply', join(ROOT, 'examples', 'user-data-docs-flat.toml')],
      code: 1,
      stderr: /which the API rejects/,
      chunks: ['program', 'smol-toml'],
    }),
  },
  enable: {
    success: () => ({
      args: ['--socket-path=api', 'enable'],
      code: 0,
      stderr: /image verification is already enabled; nothing sent/,
      chunks: ['program', 'undici'],
    }),
    failure: () => ({ args: ['-s', 'missing.sock', 'enable'], code: 1, chunks: ['program', 'undici'] }),
  },
  disable: {
    success: () => ({
      args: ['disable', '-s', 'api'],
      code: 0,
      stderr: /image verification disabled/,
      chunks: ['program', 'undici'],
    }),
    failure: () => ({ args: ['-s', 'missing.sock', 'disable'], code: 1, chunks: ['program', 'undici'] }),
  },
  status: {
    success: () => ({
      args: ['--timeout', '10', '-s', 'api', 'status'],
      code: 0,
      stdout: /Verification: disabled/,
      chunks: ['program', 'undici'],
    }),
    failure: () => ({ args: ['-s', 'missing.sock', 'status'], code: 1, chunks: ['program', 'undici'] }),
  },
  resolve: {
    success: (f) => ({
      args: ['resolve', '--plain-http', `${f.registry.host}/app:v1`],
      env: f.proxied,
      code: 0,
      stdout: new RegExp(`${f.registry.manifest.digest}`),
      chunks: ['program', 'undici'],
    }),
    failure: (f) => ({
      args: ['resolve', '--plain-http', `${f.registry.host}/app:v2`],
      env: f.proxied,
      code: 1,
      stderr: /unknown tag/,
      chunks: ['program', 'undici'],
    }),
  },
  digests: {
    success: (f) => ({
      args: ['digests', 'add', '--file', 'allow.json', '--plain-http', `${f.registry.host}/app:v1`],
      env: f.proxied,
      code: 0,
      // smol-toml: the size budget is reported for user-data (TOML) too.
      chunks: ['program', 'undici', 'smol-toml'],
      afterwards: () =>
        assert.match(readFileSync(join(f.dir, 'allow.json'), 'utf8'), new RegExp(f.registry.manifest.digest)),
    }),
    failure: (f) => ({
      args: ['digests', 'list', '--file', join(f.dir, 'missing.json')],
      code: 1,
      stderr: /missing\.json/,
      chunks: ['program'],
    }),
  },
  check: {
    success: (f) => ({
      args: [
        'check',
        '--plain-http',
        '--policy',
        `digestion=${f.file('allowed.json', policyOf([f.registry.manifest.digest]))}`,
        `${f.registry.host}/app:v1`,
      ],
      env: f.proxied,
      code: 0,
      stdout: /^ALLOWED /,
      chunks: ['program', 'undici'],
    }),
    // The node's decision: blocked, exit 1 — here by notation, whose signatures are verified with
    // a trust store: only then is the signature engine's chunk loaded.
    failure: () => ({
      args: [
        'check',
        '--offline',
        '--oci-layout',
        join(SIGNED, 'layout'),
        '--trust-store',
        join(SIGNED, 'truststore'),
        '--policy',
        `notation=${join(SIGNED, 'trustpolicy.json')}`,
        SIGNED_IMAGE,
      ],
      code: 1,
      stdout: /^BLOCKED [^\n]*signature verification failed for all the signatures[^\n]*\n$/,
      stderr:
        /the reason the node hides: failed to verify signature with digest sha256:[0-9a-f]{64}, [^\n]*expired/,
      chunks: ['program', 'signatures'],
    }),
  },
  audit: {
    // A tag-only image resolved through the proxy, decided with check's decision.
    success: (f) => ({
      args: [
        'audit',
        '--plain-http',
        '--policy',
        `digestion=${f.file('audit-allowed.json', policyOf([f.registry.manifest.digest]))}`,
        f.file('images.txt', `${f.registry.host}/app:v1\n`),
      ],
      env: f.proxied,
      code: 0,
      stdout: /1 allowed, 0 blocked/,
      chunks: ['program', 'undici'],
    }),
    // Offline, a pod list read as YAML: the image is not in the allowlist.
    failure: (f) => ({
      args: [
        'audit',
        '--offline',
        '--policy',
        `digestion=${DIGESTION}`,
        f.file(
          'pods.yaml',
          `kind: Pod\nmetadata: {name: p, namespace: shop}\nspec:\n  containers: [{name: c, image: 'x@sha256:${'1'.repeat(64)}'}]\n`,
        ),
      ],
      code: 1,
      stdout: /^namespace shop:\n {2}BLOCKED /,
      chunks: ['program', 'js-yaml'],
    }),
  },
  sim: {
    success: () => ({
      args: ['sim', '--socket', 'sim.sock'],
      until: /listening on/,
      code: 0,
      stderr: /stopped \(SIGTERM\)/,
      chunks: ['program'],
    }),
    failure: (f) => ({
      args: ['sim', '--socket', join(f.dir, 'missing', 'sim.sock')],
      code: 1,
      chunks: ['program'],
    }),
  },
};

/** An option no command declares: for the usage error every command has. */
const UNKNOWN_OPTION = '--bogus-option';

/** What the loader (or the standalone binary) says it saw: `civctl command: WORD [(--liftoff-only)]…`. */
function tracedCommand(stderr: string): { word: string; liftoff: boolean } | undefined {
  const m = /^civctl command: ([a-z]+)((?: \(--[a-z-]+\))*)$/m.exec(stderr);
  return m ? { word: m[1]!, liftoff: m[2]!.includes('(--liftoff-only)') } : undefined;
}

/**
 * The loader sets --liftoff-only only under V8 11 (Node 20), once undici is loaded; the standalone
 * binary embeds a later Node.
 */
const V8_11 = Number(process.versions.v8.split('.')[0]) < 12;

/** The program's chunks that several commands load (scripts/program-split.mjs). */
const COMMON_SPLITS = new Set(['program-shared', 'program-images', 'program-lazy', 'program-usage']);
const DATA_CHUNKS = new Set(builtDataChunkNames(join(ROOT, 'dist', 'civctl.cjs')));

/** The trace lines removed, for the assertions on stderr. */
const untraced = (stderr: string) => stderr.replace(/^civctl (command|chunks|uncached): .*\n/gm, '');

/** The table's runs through one built file (skipped, saying why, when `skip` is given). */
export function describeEveryCommand(built: Built, skip: string | undefined): void {
  describe(`every command through the ${built === 'standalone' ? 'standalone binary' : `dist/civctl.${built}`}`, {
    skip,
  }, () => {
    let dir: ReturnType<typeof tempDir>;
    let env: Record<string, string>;
    let registry: FakeRegistry;
    let proxy: TestProxy;
    let fixture: Fixture;
    let sim: Awaited<ReturnType<typeof startSimulator>>;
    /** Per command, per run: did the run load undici, and did the loader set --liftoff-only. */
    const seen: { command: string; kind: string; undici: boolean; liftoff: boolean }[] = [];
    /** Every chunk the runs compiled. */
    const loaded = new Set<string>();

    before(async () => {
      dir = tempDir();
      env = {
        HOME: dir.path,
        LANG: 'C',
        CIVCTL_TRACE_CHUNKS: '1',
        CIVCTL_CACHE_DIR: join(dir.path, 'cache'),
      };
      registry = await startFakeRegistry();
      // registry.test:PORT stands for the registry: the proxy maps the name, nothing resolves it.
      proxy = await startProxy({ hosts: { [registry.host]: registry.address } });
      fixture = {
        dir: dir.path,
        registry,
        proxy,
        proxied: { HTTP_PROXY: `http://${proxy.address}`, HTTPS_PROXY: `http://${proxy.address}` },
        file: (name, content) => {
          const path = join(dir.path, name);
          writeFileSync(path, content);
          return path;
        },
      };
      // The API simulator, in this process, at ./api.
      sim = await startSimulator({
        socketPath: join(dir.path, 'api'),
        variant: 'aws-k8s-1.34',
        osVersion: '1.63.0',
      });
    });
    after(async () => {
      await Promise.all([sim.close(), registry.close(), proxy.stop()]);
      dir.cleanup();
    });

    async function civctl(kind: string, spec: CommandSpec, c: Case): Promise<void> {
      const label = `${built} ${kind}: civctl ${c.args.join(' ')}`;
      const r = await runBuiltAsync(c.args, {
        built,
        cwd: dir.path,
        env: { ...env, ...c.env },
        ...(c.until ? { until: c.until } : {}),
      });
      const stderr = untraced(r.stderr);
      assert.equal(r.code, c.code, `${label}\n${r.stderr}`);
      if (c.stdout) assert.match(r.stdout, c.stdout, label);
      if (c.stderr) assert.match(stderr, c.stderr, label);
      if (c.code !== 0 && !c.stdout) {
        // An error, not a decision: nothing on stdout, and the reason is civctl's last word (after
        // a lint report, say), one line, no stack trace.
        assert.equal(r.stdout, '', label);
        assert.ok(isOneCleanLine(stderr.split('\n').slice(-2).join('\n')), `${label}:\n${stderr}`);
        assert.match(stderr, /(^|\n)civctl: [^\n]+\n$/, label);
      }
      assert.doesNotMatch(stderr, /\n\s+at |node:internal/, label);
      const command = tracedCommand(r.stderr);
      const chunks = tracedChunks(r.stderr);
      assert.deepEqual(
        command,
        { word: spec.name, liftoff: built !== 'standalone' && V8_11 && chunks.includes('undici') },
        `${label}: the loader's command`,
      );
      // A data chunk (undici's HTTP parser, decoded when a connection first parses an answer) goes
      // with undici: the table names the chunks a run compiles.
      assert.deepEqual(
        chunks.filter((chunk) => !isProgramSplit(chunk) && !DATA_CHUNKS.has(chunk)),
        c.chunks,
        `${label}: chunks`,
      );
      if (chunks.some((chunk) => DATA_CHUNKS.has(chunk))) assert.ok(chunks.includes('undici'), label);
      // The program is split by command: a run compiles its own command's code and no other's.
      const commandChunks = chunks.filter((chunk) => isProgramSplit(chunk) && !COMMON_SPLITS.has(chunk));
      assert.ok(
        commandChunks.every((chunk) => chunk.slice('program-'.length).split('-').includes(spec.name)),
        `${label}: ${commandChunks.join(' ')}`,
      );
      if (kind === 'success') assert.equal(commandChunks.length, 1, `${label}: ${chunks.join(' ')}`);
      for (const chunk of chunks) loaded.add(chunk);
      seen.push({ command: spec.name, kind, undici: chunks.includes('undici'), liftoff: command!.liftoff });
      c.afterwards?.(r);
    }

    /** Its --help, exactly as recorded (test/fixtures/help), naming every option it declares. */
    const help = (spec: CommandSpec) =>
      civctl('help', spec, {
        args: [spec.name, '--help'],
        code: 0,
        stdout: new RegExp(`^civctl ${spec.name}\\b`),
        chunks: ['program', 'yargs'],
        afterwards: (r) => {
          assert.equal(r.stdout, readFileSync(join(HELP_FIXTURES, `${spec.name}.txt`), 'utf8'));
          for (const option of Object.keys(commandOptions(spec, {})))
            assert.ok(r.stdout.includes(`--${option}`), `--${option} in help`);
          if (spec.examples.length > 0) assert.match(r.stdout, /Examples:/);
          assert.equal(untraced(r.stderr), '');
        },
      });
    const usageError = (spec: CommandSpec) =>
      civctl('usage error', spec, {
        args: [spec.name, UNKNOWN_OPTION],
        code: 2,
        stderr: /^civctl: .*\(see civctl --help\)\n$/,
        chunks: ['program', 'yargs'],
      });
    // Help and usage errors take the same two chunks whatever the command, and every command's help
    // text is checked in-process (test/commands/help.test.ts): each built file runs them for one
    // command here, and for every command in CI's full run.
    const everyHelp = FULL;
    // The ES module runs the package's program behind another wrapper: its failures are those of
    // dist/civctl.cjs, run here for every command in CI's full run.
    const everyFailure = built !== 'mjs' || FULL;

    for (const spec of COMMANDS) {
      test(`${spec.name}: ${everyHelp ? 'help, a usage error, ' : ''}a success${everyFailure ? ' and a failure' : ''}`, async () => {
        const cases = CASES[spec.name];
        assert.ok(cases, `${spec.name} has no case in CASES`);
        if (everyHelp) {
          await help(spec);
          await usageError(spec);
        }
        await civctl('success', spec, cases.success(fixture));
        if (everyFailure) await civctl('failure', spec, cases.failure(fixture));
      });
    }

    test('civctl --help is the recorded one; one command’s help and a usage error', async () => {
      const r = await runBuiltAsync(['--help'], { built, cwd: dir.path, env });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, readFileSync(join(HELP_FIXTURES, 'civctl.txt'), 'utf8'));
      assert.deepEqual(tracedChunks(r.stderr), ['program', 'program-usage', 'yargs']);
      loaded.add('program-usage');
      if (everyHelp) return;
      const lint = COMMANDS.find((c) => c.name === 'lint')!;
      await help(lint);
      await usageError(lint);
    });

    // Said, not silently left out: a run without them reports the skip.
    if (!everyHelp) test('every other command’s help and usage error', { skip: fullOnly() }, () => {});
    if (!everyFailure) test('every command’s failure', { skip: fullOnly() }, () => {});

    test('the registry commands went through the proxy, and the registry saw its own name', () => {
      const asked = proxy.log.map((e) => `${e.method} ${e.target}`);
      const proxied = asked.filter((r) => r.includes(registry.host));
      assert.ok(proxied.length >= 4, asked.join('\n'));
      assert.deepEqual(asked, proxied, 'nothing but registry.test through the proxy');
      assert.ok(registry.headers.length > 0 && registry.headers.every((h) => h === registry.host));
    });

    test('every chunk of the program is compiled by some command', () => {
      const program = builtChunkNames(join(ROOT, 'dist', 'civctl.cjs')).filter(
        (chunk) => chunk === 'program' || isProgramSplit(chunk),
      );
      assert.deepEqual(
        program.filter((chunk) => !loaded.has(chunk)),
        [],
      );
    });

    test('the commands that talk to the API or a registry are exactly those that load undici', () => {
      const declared = COMMANDS.filter((c) => talksToOf(c).length > 0)
        .map((c) => c.name)
        .sort();
      const liftoff = [...new Set(seen.filter((s) => s.liftoff).map((s) => s.command))].sort();
      assert.deepEqual(liftoff, built !== 'standalone' && V8_11 ? declared : []);
      const successes = seen.filter((s) => s.kind === 'success');
      assert.equal(successes.length, COMMANDS.length);
      assert.deepEqual(
        successes
          .filter((s) => s.undici)
          .map((s) => s.command)
          .sort(),
        declared,
      );
      assert.deepEqual(
        seen.filter((s) => s.undici && !declared.includes(s.command)),
        [],
        'no other command loads undici',
      );
    });
  });
}
