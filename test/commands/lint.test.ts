/** In-process tests of the lint command: inputs, formats, exit codes, schemas and hostile input. */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import fc from 'fast-check';
import { lintPolicy } from '../../src/policy/lint.ts';
import { CORPUS, ROOT, run, scratch, propertyRuns } from '../helpers.ts';

const tmp = scratch();
after(() => tmp.cleanup());
const file = tmp.file;
const b64 = (s: string) => Buffer.from(s).toString('base64');
const OVERLAP = join(CORPUS, 'shapes', 'notation-x509-overlap.json');

describe('lint: policy files', () => {
  test('a valid policy exits 0 and states the effect', async () => {
    const r = await run(['lint', join(ROOT, 'examples', 'notation-aws-signer.json')]);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /notation policy, valid; on the node: enforced/);
  });
  test('an invalid policy exits 1 with file:line:col, rule and the upstream message', async () => {
    const r = await run(['lint', OVERLAP]);
    assert.equal(r.code, 1);
    assert.match(
      r.stdout,
      /notation-x509-overlap\.json:17:9: error: trust policy: trust policy statement "overlap" has overlapping/,
    );
    assert.match(r.stdout, /\[notation\/identity-overlap\]/);
    assert.match(r.stdout, /rejects-all: every image pull fails/);
  });
  test('--format json has the documented shape', async () => {
    const r = await run([
      'lint',
      '--format',
      'json',
      OVERLAP,
      join(ROOT, 'examples', 'empty-digestion.json'),
    ]);
    const out = JSON.parse(r.stdout);
    assert.equal(out.results.length, 2);
    const [n, d] = out.results;
    assert.equal(n.verifier, 'notation');
    assert.equal(n.valid, false);
    assert.match(
      n.upstreamMessage,
      /^trust policy: trust policy statement "overlap" has overlapping x509 trustedIdentities/,
    );
    assert.equal(n.effect, 'rejects-all');
    assert.deepEqual(Object.keys(n.diagnostics[0]).slice(0, 6), [
      'rule',
      'severity',
      'message',
      'pointer',
      'line',
      'column',
    ]);
    assert.equal(n.diagnostics[0].pointer, '/trustPolicies/0/trustedIdentities/1');
    assert.equal(d.verifier, 'digestion');
    assert.equal(d.valid, true);
    assert.equal(d.upstreamMessage, null);
    assert.equal(d.effect, 'allows-all');
    assert.equal('plugin' in d, false);
  });
  test('the verifier comes from --verifier, else the content', async () => {
    const p = file('digests.json', '{"trustedDigests":["sha256:abc"]}');
    const byContent = JSON.parse((await run(['lint', '-f', 'json', p])).stdout);
    assert.equal(byContent.results[0].verifier, 'digestion');
    const forced = JSON.parse((await run(['lint', '-f', 'json', '--verifier', 'my-verifier', p])).stdout);
    assert.equal(forced.results[0].verifier, 'custom');
    assert.equal(forced.results[0].valid, true);
  });
  test('digestion: the verifier stdout line, with serde positions', async () => {
    const p = file('dup.json', '{\n  "version": "1.0",\n  "version": "1.0",\n  "trustedDigests": []\n}');
    const out = JSON.parse((await run(['lint', '-f', 'json', '--verifier', 'digestion', p])).stdout);
    assert.equal(
      out.results[0].upstreamMessage,
      'image verification failed: invalid trust policy JSON: duplicate field `version` at line 3 column 11',
    );
    assert.equal(out.results[0].diagnostics[0].line, 3);
  });
  test('--strict fails on warnings', async () => {
    const p = join(ROOT, 'examples', 'empty-digestion.json');
    assert.equal((await run(['lint', p])).code, 0);
    assert.equal((await run(['lint', p, '--strict'])).code, 1);
  });
  test('standard input', async () => {
    const r = await run(['lint', '-f', 'json'], {
      stdin: '{"version":"1.0","trustedDigests":["sha256:abc","sha256:abc"]}',
    });
    const out = JSON.parse(r.stdout);
    assert.equal(out.results[0].file, '<stdin>');
    assert.deepEqual(
      out.results[0].diagnostics.map((d: { rule: string }) => d.rule),
      ['digestion/non-canonical', 'digestion/non-canonical', 'digestion/duplicate'],
    );
  });
  test('usage errors exit 2', async () => {
    assert.equal((await run(['lint', '--format', 'xml', 'x.json'])).code, 2);
    assert.equal((await run(['lint', '--verifier', 'bad name', 'x.json'])).code, 2);
  });
});

describe('lint: user-data and settings documents', () => {
  const userdata = `[settings.image-verifier-plugins]
notation-trustpolicy = "${b64('{"version":"1.0","trustPolicies":[]}')}"

[settings.image-verifier-plugins.digestion]
trustpolicy = "${b64('{\n  "version": "2.0",\n  "trustedDigests": []\n}')}"

[settings.image-verifier-plugins.Bad_Name]
trustpolicy = "e30="

[settings.image-verifier-plugins.notation]
trustpolicy = "e30"
`;
  test('decodes and lints every plugin, and reports the file’s own mistakes', async () => {
    const r = await run(['lint', '-f', 'json', file('user-data.toml', userdata)]);
    assert.equal(r.code, 1);
    const out = JSON.parse(r.stdout);
    const byPlugin = Object.fromEntries(out.results.map((x: { plugin: string }) => [x.plugin, x]));
    assert.deepEqual(Object.keys(byPlugin).sort(), [
      'Bad_Name',
      'digestion',
      'notation',
      'notation-trustpolicy',
    ]);
    assert.equal(
      byPlugin.digestion.upstreamMessage,
      'image verification failed: unsupported policy version 2.0',
    );
    assert.equal(byPlugin.digestion.effect, 'rejects-all');
    const versionDiag = byPlugin.digestion.diagnostics.find(
      (d: { rule: string }) => d.rule === 'digestion/version',
    );
    assert.equal(versionDiag.location, 'decoded-policy');
    assert.equal(versionDiag.line, 2);
    assert.ok(
      byPlugin['notation-trustpolicy'].diagnostics.some(
        (d: { rule: string }) => d.rule === 'userdata/flat-key',
      ),
    );
    assert.ok(byPlugin.Bad_Name.diagnostics.some((d: { rule: string }) => d.rule === 'userdata/plugin-name'));
    assert.ok(byPlugin.notation.diagnostics.some((d: { rule: string }) => d.rule === 'userdata/base64'));
    const all = out.results.flatMap((x: { diagnostics: { rule: string }[] }) =>
      x.diagnostics.map((d) => d.rule),
    );
    assert.ok(all.includes('userdata/not-enabled'));
  });
  test('text output says positions are in the decoded policy', async () => {
    const r = await run(['lint', file('user-data2.toml', userdata)]);
    assert.match(
      r.stdout,
      /user-data2\.toml:5:16: error: \[digestion\] decoded policy 2:\d+: image verification failed: unsupported policy version 2\.0/,
    );
  });
  test('a JSON settings document as apiclient get prints it', async () => {
    const doc = {
      settings: {
        'image-verifier-plugins': { enabled: true, digestion: { trustpolicy: b64('{"trustedDigests":[]}') } },
      },
    };
    const out = JSON.parse(
      (await run(['lint', '-f', 'json', file('settings.json', JSON.stringify(doc))])).stdout,
    );
    assert.equal(out.results[0].plugin, 'digestion');
    assert.equal(out.results[0].effect, 'allows-all');
  });
});

describe('lint: other formats', () => {
  const bad = join(ROOT, 'examples', 'bad-notation-scope.json');
  test('github annotations', async () => {
    const r = await run(['lint', '-f', 'github', bad]);
    assert.match(
      r.stdout,
      /^::error file=.*bad-notation-scope\.json,line=6,col=\d+,title=notation\/registry-scope::registry scope/m,
    );
    assert.match(r.stdout, /^::notice .*rejects-all/m);
  });
  test('SARIF 2.1.0', async () => {
    const r = await run(['lint', '-f', 'sarif', bad]);
    const log = JSON.parse(r.stdout);
    assert.equal(log.version, '2.1.0');
    const [run0] = log.runs;
    assert.equal(run0.tool.driver.name, 'civctl');
    assert.equal(run0.results[0].ruleId, 'notation/registry-scope');
    assert.equal(run0.results[0].level, 'error');
    assert.equal(run0.tool.driver.rules[run0.results[0].ruleIndex].id, 'notation/registry-scope');
    assert.equal(run0.results[0].locations[0].physicalLocation.region.startLine, 6);
  });
  test('control characters and terminal escapes are escaped in text output', async () => {
    const p = file(
      'esc.json',
      JSON.stringify({
        version: '1.0',
        trustPolicies: [
          { name: 'x\u001b[31mred\u009b', registryScopes: ['*'], signatureVerification: { level: 'bogus' } },
        ],
      }),
    );
    const text = await run(['lint', p]);
    assert.equal(/[\u001b\u009b]/.test(text.stdout), false);
    assert.match(text.stdout, /\\x1b\[31mred/);
    const json = await run(['lint', '-f', 'json', p]);
    assert.equal(/[\u001b\u009b]/.test(json.stdout), false);
    assert.match(JSON.parse(json.stdout).results[0].upstreamMessage, /"x\\x1b\[31mred\\u009b"/);
  });
});

describe('lint: custom verifiers with --schema', () => {
  const policy = file('custom.json', '{\n  "keys": ["a", 7]\n}');
  for (const draft of [
    'http://json-schema.org/draft-07/schema#',
    'https://json-schema.org/draft/2020-12/schema',
  ]) {
    test(draft, async () => {
      const schema = file(
        `schema-${draft.length}.json`,
        JSON.stringify({
          $schema: draft,
          type: 'object',
          properties: { keys: { type: 'array', items: { type: 'string' } } },
          required: ['keys'],
        }),
      );
      const r = await run(['lint', '-f', 'json', '--verifier', 'my-verifier', '--schema', schema, policy]);
      assert.equal(r.code, 1);
      const [res] = JSON.parse(r.stdout).results;
      assert.equal(res.valid, false);
      assert.deepEqual(
        res.diagnostics.map((d: { pointer: string; line: number; rule: string }) => [
          d.rule,
          d.pointer,
          d.line,
        ]),
        [['custom/schema', '/keys/1', 2]],
      );
    });
  }
  test('an unusable schema is a clear error', async () => {
    const r = await run([
      'lint',
      '--verifier',
      'x',
      '--schema',
      file('bad-schema.json', '{"type": 12}'),
      policy,
    ]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /not a usable JSON Schema/);
  });
});

describe('lint never throws (property-based)', () => {
  test('arbitrary bytes', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 300 }),
        fc.constantFrom('notation', 'digestion', 'custom') as fc.Arbitrary<
          'notation' | 'digestion' | 'custom'
        >,
        (bytes, verifier) => {
          const r = lintPolicy({ bytes, verifier });
          assert.ok(['enforced', 'allows-all', 'rejects-all'].includes(r.effect));
        },
      ),
      { numRuns: propertyRuns(400) },
    );
  });
  test('arbitrary JSON values, including near-policies', () => {
    const statement = fc.record({
      name: fc.oneof(fc.string(), fc.constant(null)),
      registryScopes: fc.array(fc.oneof(fc.constant('*'), fc.string(), fc.constant('example.com/app'))),
      signatureVerification: fc.record({
        level: fc.constantFrom('strict', 'audit', 'skip', '', 'x'),
        override: fc.dictionary(fc.string(), fc.string()),
      }),
      trustStores: fc.array(fc.string()),
      trustedIdentities: fc.array(
        fc.oneof(
          fc.string(),
          fc.string().map((s) => `x509.subject:${s}`),
        ),
      ),
    });
    const doc = fc.oneof(
      fc.jsonValue(),
      fc.record({ version: fc.constantFrom('1.0', '', 1), trustPolicies: fc.array(statement) }),
      fc.record({ trustedDigests: fc.array(fc.string()) }),
    );
    fc.assert(
      fc.property(
        doc,
        fc.constantFrom('notation', 'digestion', 'custom') as fc.Arbitrary<
          'notation' | 'digestion' | 'custom'
        >,
        (value, verifier) => {
          const r = lintPolicy({ bytes: new TextEncoder().encode(JSON.stringify(value)), verifier });
          assert.equal(typeof r.valid, 'boolean');
          for (const d of r.diagnostics) assert.ok(d.line >= 1 && d.column >= 1);
        },
      ),
      { numRuns: propertyRuns(400) },
    );
  });
  test('huge arrays and deep nesting', () => {
    const huge = `{"version":"1.0","trustedDigests":[${Array(200_000).fill('"x"').join(',')}]}`;
    assert.equal(
      lintPolicy({ bytes: new TextEncoder().encode(huge), verifier: 'digestion' }).effect,
      'enforced',
    );
    const deep = `{"version":"1.0","trustPolicies":${'['.repeat(50_000)}${']'.repeat(50_000)}}`;
    assert.equal(lintPolicy({ bytes: new TextEncoder().encode(deep), verifier: 'notation' }).valid, false);
  });
});

describe('lint: a finding inside an encoded policy is placed at the encoded value in every format', () => {
  // The finding ("sha256:abc" can never match) is at line 2, column 19 of the decoded policy.
  const policy = b64('{"version":"1.0",\n"trustedDigests":["sha256:abc"]}');
  const KINDS: [kind: string, name: string, text: string, line: number, column: number, plugin: string][] = [
    [
      'user-data TOML',
      'ud.toml',
      `# user data\n[settings.image-verifier-plugins]\nenabled = true\n\n[settings.image-verifier-plugins.digestion]\ntrustpolicy   =   "${policy}"\n`,
      6,
      20,
      'digestion',
    ],
    [
      'settings JSON',
      'settings.json',
      `{"settings": {"image-verifier-plugins": {"enabled": true,\n  "digestion": {"trustpolicy": "${policy}"}}}}\n`,
      2,
      33,
      'digestion',
    ],
    [
      'eksctl ClusterConfig',
      'cluster.yaml',
      `kind: ClusterConfig\nmetadata: {name: prod}\nmanagedNodeGroups:\n  - name: br\n    amiFamily: Bottlerocket\n    bottlerocket:\n      settings:\n        image-verifier-plugins:\n          enabled: true\n          digestion: {trustpolicy: "${policy}"}\n`,
      10,
      37,
      'br/digestion',
    ],
    [
      'Karpenter EC2NodeClass',
      'nodeclass.yaml',
      `kind: EC2NodeClass\nmetadata: {name: default}\nspec:\n  amiFamily: Bottlerocket\n  userData: |\n    [settings.image-verifier-plugins]\n    enabled = true\n    [settings.image-verifier-plugins.digestion]\n    trustpolicy = '${policy}'\n`,
      9,
      20,
      'default/digestion',
    ],
  ];
  for (const [kind, name, text, line, column, plugin] of KINDS)
    test(kind, async () => {
      const path = file(`fidelity-${name}`, text);
      const decoded = `[${plugin}] decoded policy 2:19: "sha256:abc" can never match`;
      const escaped = (s: string) => s.replace(/[[\]().*+?/\\]/g, '\\$&');

      const text_ = await run(['lint', path]);
      assert.equal(text_.code, 0, text_.stderr);
      assert.match(
        text_.stdout,
        new RegExp(`${escaped(path)}:${line}:${column}: warning: ${escaped(decoded)}`),
      );

      const github = await run(['lint', '--format', 'github', path]);
      assert.ok(
        github.stdout.includes(
          `::warning file=${path},line=${line},col=${column},title=digestion/non-canonical::${decoded}`,
        ),
        github.stdout,
      );

      const sarif = JSON.parse((await run(['lint', '--format', 'sarif', path])).stdout);
      const result = sarif.runs[0].results[0];
      assert.deepEqual(result.locations[0].physicalLocation.region, { startLine: line, startColumn: column });
      assert.ok(result.message.text.startsWith(decoded), result.message.text);

      const json = JSON.parse((await run(['lint', '--format', 'json', path])).stdout);
      const d = json.results[0].diagnostics.find(
        (x: { rule: string }) => x.rule === 'digestion/non-canonical',
      );
      assert.deepEqual(
        [d.location, d.line, d.column, d.fileLine, d.fileColumn],
        ['decoded-policy', 2, 19, line, column],
      );
    });
});

describe('lint: eksctl and Karpenter files are named for what they are', () => {
  test('a ClusterConfig whose Bottlerocket nodegroup sets no policies is an eksctl nodegroup, not a policy', async () => {
    const r = await run(['lint', join(ROOT, 'docs', 'examples', 'cluster.yaml')]);
    assert.equal(r.code, 0);
    assert.doesNotMatch(r.stdout, /custom policy/);
    assert.match(
      r.stdout,
      /cluster\.yaml\[bottlerocket-a\]: eksctl ClusterConfig, nodegroup bottlerocket-a, valid, no image-verifier policies; on the node: allows-all/,
    );
    // The nodegroup that is not Bottlerocket is not reported: its nodes have no such settings.
    assert.doesNotMatch(r.stdout, /al2023-b/);
    assert.match(r.stdout, /^1 nodegroup checked: 0 errors, 1 warning$/m);
  });
  test('a NodeClass without image-verifier settings is a Karpenter EC2NodeClass', async () => {
    const r = await run(['lint', join(ROOT, 'docs', 'examples', 'nodeclass.yaml')]);
    assert.match(
      r.stdout,
      /nodeclass\.yaml\[default\]: Karpenter EC2NodeClass default, valid, no image-verifier policies/,
    );
  });
  test('a duplicate key: eksctl or kubectl rejects the file, so no node sees it', async () => {
    const dup = file(
      'dup.yaml',
      'apiVersion: eksctl.io/v1alpha5\nkind: ClusterConfig\nmetadata:\n  name: prod\n  name: prod\n',
    );
    const r = await run(['lint', dup]);
    assert.equal(r.code, 1);
    assert.match(
      r.stdout,
      /dup\.yaml:5:3: error: not a valid ClusterConfig\/YAML: eksctl would reject the file/,
    );
    assert.match(
      r.stdout,
      /dup\.yaml: not a valid ClusterConfig\/YAML: eksctl would reject the file; no node gets these settings/,
    );
    assert.doesNotMatch(r.stdout, /rejects-all|on the node/);
    const json = JSON.parse((await run(['lint', '--format', 'json', dup])).stdout);
    assert.deepEqual([json.results[0].document, json.results[0].effect], ['eksctl', 'not-deployed']);
    const nc = file('dupnc.yaml', 'kind: EC2NodeClass\nspec: {}\nspec: {}\n');
    assert.match(
      (await run(['lint', nc])).stdout,
      /not a valid EC2NodeClass\/YAML: kubectl would reject the file/,
    );
  });
  test('Karpenter user data that is not TOML: Karpenter refuses it', async () => {
    const nc = file(
      'badud.yaml',
      'kind: EC2NodeClass\nmetadata: {name: a}\nspec:\n  amiFamily: Bottlerocket\n  userData: |\n    [settings.image-verifier-plugins\n',
    );
    const r = await run(['lint', nc]);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /badud\.yaml:6:\d+: error: EC2NodeClass a spec\.userData: it is not valid TOML/);
    assert.match(
      r.stdout,
      /badud\.yaml\[a\]: Karpenter EC2NodeClass a: spec\.userData is not valid TOML: Karpenter would refuse its user data/,
    );
  });
});
