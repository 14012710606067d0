/** lint: what the node's verifiers will decide about each file, in the report format asked for. */
import { CivError, LintFailedError, UsageError } from '../errors.ts';
import { inputLabel, isStdin, readInput } from '../inputs/files.ts';
import { loadSchema } from '../inputs/schema.ts';
import { requireVerifierName } from '../inputs/verifier-name.ts';
import {
  type LintFormat,
  LINT_FORMATS,
  reportGithub,
  reportJson,
  reportSarif,
  reportText,
} from '../output/lint-report.ts';
import { textStyleFor } from '../output/style.ts';
import { entryWithFinding, fileFinding, type LintEntry } from '../lint/entries.ts';
import { lintFile } from '../lint/file.ts';
import { defineCommand } from '../cli/spec.ts';
import { formatOption, SCHEMA } from './options.ts';

export const lintCommand = defineCommand({
  name: 'lint',
  talksTo: [],
  describe: 'Say exactly what the node will do with trust policies, before the node sees them',
  positionals: [
    {
      name: 'files',
      variadic: true,
      describe: 'Policy JSON, user-data TOML or settings JSON files; - for standard input',
    },
  ],
  options: {
    verifier: { type: 'string', describe: 'Notation, digestion or a custom verifier name' },
    ...formatOption(LINT_FORMATS),
    ...SCHEMA,
    strict: { type: 'boolean', default: false, describe: 'Fail on warnings too' },
    'trust-store': {
      type: 'string',
      describe:
        'Judge notation trust stores by this directory (notation’s truststore layout) instead of a stock node’s',
    },
  },
  examples: [
    ['$0 lint trustpolicy.json', 'Lint one policy'],
    ['$0 lint user-data.toml --format github', 'Lint user-data in a GitHub workflow'],
    ['$0 lint my.json --verifier my-verifier --schema my-schema.json', 'A custom verifier with a schema'],
    ['$0 lint *.json --format sarif > civctl.sarif', 'SARIF for code scanning'],
    [
      '$0 lint trustpolicy.json --trust-store ./truststore',
      'Check the stores a policy names against a trust store',
    ],
  ],
  run: async (args, ctx) => {
    requireVerifierName(args.verifier, ctx.io);
    // No file: standard input, unless it is a terminal (then a usage error, not a wait).
    const files: (string | undefined)[] = args.files.length > 0 ? args.files : [undefined];
    if (files.filter((f) => isStdin(f)).length > 1)
      throw new UsageError('standard input (-) can be read only once');
    const schema = args.schema !== undefined ? await loadSchema(ctx.io, args.schema) : undefined;
    const trustStore = args.trustStore !== undefined ? await lintTrustStore(args.trustStore) : undefined;
    const entries: LintEntry[] = [];
    for (const file of files) {
      const label = inputLabel(file);
      let bytes: Uint8Array;
      try {
        bytes = await readInput(ctx.io, file);
      } catch (err) {
        // Of several files, one that cannot be read is reported in place, so the others still are.
        if (files.length === 1 || !(err instanceof CivError) || err.exitCode !== 1) throw err;
        entries.push(
          entryWithFinding(label, 'rejects-all', fileFinding('input/unreadable', 'error', err.message)),
        );
        continue;
      }
      entries.push(
        ...(await lintFile(label, file === undefined || isStdin(file) ? '' : file, bytes, {
          verifier: args.verifier,
          schema,
          trustStore,
        })),
      );
    }
    const render = {
      json: () => reportJson(entries),
      github: () => reportGithub(entries),
      sarif: () => reportSarif(entries),
      text: async () => reportText(entries, await textStyleFor(ctx.io, ctx.io.stdout)),
    } satisfies Record<LintFormat, () => string | Promise<string>>;
    ctx.io.stdout.write(await render[args.format]());
    const all = entries.flatMap((e) => e.diagnostics);
    const errors = all.filter((d) => d.severity === 'error').length;
    const warnings = all.filter((d) => d.severity === 'warning').length;
    if (errors > 0) throw new LintFailedError(`lint found ${errors} ${errors === 1 ? 'error' : 'errors'}`);
    if (args.strict && warnings > 0)
      throw new LintFailedError(
        `lint found ${warnings} ${warnings === 1 ? 'warning' : 'warnings'} (--strict)`,
      );
  },
});

/** The --trust-store directory's stores (the signature engine's chunk reads them). */
async function lintTrustStore(dir: string) {
  const { statSync } = process.getBuiltinModule('node:fs');
  if (!statSync(dir, { throwIfNoEntry: false })?.isDirectory())
    throw new UsageError(`--trust-store ${dir} is not a directory`);
  const { trustStoreLookup } = await import('../verifiers/signature-check.ts');
  return trustStoreLookup(dir);
}
