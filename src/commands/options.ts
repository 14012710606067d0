/**
 * Options several commands take, each declared once with one wording: a command spreads the ones
 * it takes into its own (`...DRY_RUN`). The options that say how an input is read (registry,
 * settings file, node policies) are declared beside their readers in inputs/ and re-exported here.
 * The global options (-s/--socket-path, --timeout) are the framework's (cli/spec.ts globalOptions).
 */
import type { OptionSpec } from '../cli/spec.ts';

type Options = Record<string, OptionSpec>;

/** --format (-f) with these choices, the first by default unless another is named. */
export function formatOption<const C extends readonly string[]>(
  choices: C,
  defaultChoice: C[number] = choices[0]!,
) {
  return {
    format: { alias: 'f', type: 'string', choices, default: defaultChoice, describe: 'Output format' },
  } as const satisfies Options;
}

/** Text for people, or JSON for scripts. */
export const FORMAT_TEXT_JSON = formatOption(['text', 'json']);

export const DRY_RUN = {
  'dry-run': {
    type: 'boolean',
    default: false,
    describe: 'Print what would be sent or written; change nothing',
  },
} as const satisfies Options;

export const FORCE = {
  force: {
    type: 'boolean',
    default: false,
    describe:
      'Go on when lint finds errors, or when the result would stop verifying images or block every pull',
  },
} as const satisfies Options;

export const SCHEMA = {
  schema: { type: 'string', describe: 'JSON Schema (draft-07 or 2020-12) for custom verifiers' },
} as const satisfies Options;

export const MINIFY = {
  minify: { type: 'boolean', default: false, describe: 'Compact the JSON before encoding' },
} as const satisfies Options;

/** Options declared beside the inputs they read (inputs/ is below commands/), gathered here. */
export { REGISTRY_OPTIONS } from '../inputs/registry.ts';
export { SETTINGS_FILE_OPTIONS } from '../inputs/settings-file.ts';
export { DECISION_OPTIONS } from '../inputs/node-policies.ts';
