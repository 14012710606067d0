import { LintFailedError, UsageError } from '../errors.ts';
import { inputLabel, isStdin, readInput, STDIN_ARG } from '../input.ts';
import { defineCommand } from './spec.ts';
import { requireVerifierName } from './verifier-arg.ts';
import { decodeBase64 } from '../policy/base64.ts';
import {
  detectVerifier,
  type LintResult,
  lintPolicy,
  PositionIndex,
  type SchemaValidator,
} from '../policy/lint.ts';
import { verifierKind } from '../policy/names.ts';
import type { FileDiagnostic } from '../policy/userdata.ts';
import {
  type LintFormat,
  type ReportEntry,
  reportGithub,
  reportJson,
  reportSarif,
  reportText,
} from '../output/lint-report.ts';
import { textStyleFor } from '../output/style.ts';
import { loadSchema } from './schema.ts';

interface LintArgs {
  files: string[];
  verifier?: string;
  format: LintFormat;
  schema?: string;
  strict: boolean;
}

type InputKind = 'policy' | 'settings';

/** A settings document (user-data TOML, or JSON with settings / image-verifier-plugins), or a policy. */
function classify(path: string, bytes: Uint8Array, positions: PositionIndex): InputKind {
  if (path.endsWith('.toml')) return 'settings';
  // A settings document names its keys; without them (or an escape that could spell them) it is a
  // policy, and no parse is needed to say so.
  if (!/"settings"|"image-verifier-plugins"|\\u/.test(positions.latin1)) return 'policy';
  const root = positions.root;
  if (root) {
    const isSettings =
      root.kind === 'object' &&
      root.members.some((m) => m.key === 'settings' || m.key === 'image-verifier-plugins');
    return isSettings ? 'settings' : 'policy';
  }
  if (path.endsWith('.json')) return 'policy';
  // Not JSON: user-data when it looks like TOML with a [settings…] table.
  const text = new TextDecoder().decode(bytes);
  return /^\s*\[\s*settings[.\]]/m.test(text) ? 'settings' : 'policy';
}

function fileEntry(file: string, result: LintResult, plugin?: string): ReportEntry {
  return {
    ...result,
    file,
    ...(plugin !== undefined ? { plugin } : {}),
    diagnostics: result.diagnostics.map((d) => ({
      ...d,
      location: plugin !== undefined ? 'decoded-policy' : 'file',
    })),
  };
}

function toReportDiagnostic(d: FileDiagnostic) {
  return {
    rule: d.rule,
    severity: d.severity,
    message: d.message,
    pointer: '',
    line: d.line,
    column: d.column,
    location: 'file' as const,
  };
}

async function lintSettingsFile(
  file: string,
  bytes: Uint8Array,
  verifierOverride: string | undefined,
  schema: SchemaValidator | undefined,
): Promise<ReportEntry[]> {
  const { parseSettingsFile, SettingsFileError } = await import('../policy/userdata.ts');
  let parsed: ReturnType<typeof parseSettingsFile>;
  try {
    parsed = parseSettingsFile(bytes, file.endsWith('.toml') ? 'toml' : undefined);
  } catch (err) {
    if (!(err instanceof SettingsFileError)) throw err;
    return [
      {
        file,
        verifier: 'custom',
        valid: false,
        upstreamMessage: err.message,
        effect: 'rejects-all',
        diagnostics: [
          {
            rule: 'userdata/invalid',
            severity: 'error',
            message: `not a valid user-data file: ${err.message}`,
            pointer: '',
            line: 1,
            column: 1,
            location: 'file',
          },
        ],
      },
    ];
  }
  const entries: ReportEntry[] = [];
  const byPlugin = new Map<string, ReportEntry>();
  const names = new Set<string>([
    ...parsed.plugins.map((p) => p.name),
    ...parsed.diagnostics.flatMap((d) => (d.plugin !== undefined ? [d.plugin] : [])),
  ]);
  for (const name of names) {
    const kind = verifierKind(verifierOverride ?? name);
    const plugin = parsed.plugins.find((p) => p.name === name);
    const ownProblems = parsed.diagnostics.filter((d) => d.plugin === name);
    let entry: ReportEntry;
    if (
      plugin?.trustpolicy !== undefined &&
      plugin.base64Valid &&
      ownProblems.every((d) => d.severity !== 'error')
    ) {
      entry = fileEntry(
        file,
        lintPolicy({ bytes: decodeBase64(plugin.trustpolicy), verifier: kind, schema }),
        name,
      );
    } else if (plugin && plugin.trustpolicy === undefined && ownProblems.length === 0) {
      entry = {
        file,
        plugin: name,
        verifier: kind,
        valid: true,
        upstreamMessage: null,
        effect: 'allows-all',
        diagnostics: [],
      };
    } else {
      const first = ownProblems.find((d) => d.severity === 'error');
      entry = {
        file,
        plugin: name,
        verifier: kind,
        valid: false,
        upstreamMessage: first?.message ?? null,
        effect: 'rejects-all',
        diagnostics: [],
      };
    }
    entry.diagnostics.unshift(...ownProblems.map(toReportDiagnostic));
    byPlugin.set(name, entry);
    entries.push(entry);
  }
  const general = parsed.diagnostics.filter((d) => d.plugin === undefined).map(toReportDiagnostic);
  if (entries.length === 0) {
    entries.push({
      file,
      verifier: 'custom',
      valid: true,
      upstreamMessage: null,
      effect: 'allows-all',
      diagnostics: general,
    });
  } else entries[0]!.diagnostics.unshift(...general);
  return entries;
}

export const lintCommand = defineCommand<LintArgs>({
  name: 'lint',
  describe: 'Say exactly what the node will do with trust policies, before the node sees them',
  positionals: [
    {
      name: 'files',
      variadic: true,
      describe: 'policy JSON, user-data TOML or settings JSON files; - for standard input',
    },
  ],
  options: {
    verifier: { type: 'string', describe: 'notation, digestion or a custom verifier name' },
    format: {
      alias: 'f',
      type: 'string',
      choices: ['text', 'json', 'github', 'sarif'],
      default: 'text',
      describe: 'Output format',
    },
    schema: { type: 'string', describe: 'JSON Schema (draft-07 or 2020-12) for custom verifiers' },
    strict: { type: 'boolean', default: false, describe: 'Fail on warnings too' },
  },
  examples: [
    ['$0 lint trustpolicy.json', 'Lint one policy'],
    ['$0 lint user-data.toml --format github', 'Lint user-data in a GitHub workflow'],
    ['$0 lint my.json --verifier my-verifier --schema my-schema.json', 'A custom verifier with a schema'],
    ['$0 lint *.json --format sarif > civctl.sarif', 'SARIF for code scanning'],
  ],
  run: async (args, ctx) => {
    requireVerifierName(args.verifier);
    const files = args.files.length > 0 ? args.files : [STDIN_ARG];
    if (files.filter((f) => isStdin(f)).length > 1)
      throw new UsageError('standard input (-) can be read only once');
    const schema = args.schema !== undefined ? await loadSchema(ctx.io, args.schema) : undefined;
    const entries: ReportEntry[] = [];
    for (const file of files) {
      const bytes = await readInput(ctx.io, file);
      const label = inputLabel(file);
      // One parse serves classification, verifier detection and lint.
      const positions = new PositionIndex(bytes);
      if (classify(file, bytes, positions) === 'settings') {
        entries.push(...(await lintSettingsFile(label, bytes, args.verifier, schema)));
      } else {
        const verifier =
          args.verifier !== undefined ? verifierKind(args.verifier) : detectVerifier(positions);
        entries.push(fileEntry(label, lintPolicy({ bytes, verifier, schema, positions })));
      }
    }
    const out =
      args.format === 'json'
        ? reportJson(entries)
        : args.format === 'github'
          ? reportGithub(entries)
          : args.format === 'sarif'
            ? reportSarif(entries)
            : reportText(entries, await textStyleFor(ctx.io, ctx.io.stdout));
    ctx.io.stdout.write(out);
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
