/**
 * defineCommand types each handler's arguments from its own declaration. The assertions here are
 * the compiler's (`npm run typecheck` fails when an inferred type drifts); the run checks that the
 * declaration comes back unchanged for the command table.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defineCommand } from '../../src/cli/spec.ts';
import { DRY_RUN, FORMAT_TEXT_JSON } from '../../src/commands/options.ts';

/** Compiles only when A and B are the same type. */
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const same = <A, B>(_proof: Equal<A, B>) => undefined;

test('a handler’s arguments are typed from its declaration', () => {
  const spec = defineCommand({
    name: 'example',
    describe: 'An example',
    examples: [],
    talksTo: ['registry'],
    positionals: [
      { name: 'images', variadic: true, describe: 'Images' },
      { name: 'one-more', describe: 'Optional' },
    ],
    options: {
      ...DRY_RUN,
      ...FORMAT_TEXT_JSON,
      'ca-file': { type: 'string', describe: 'No default: may be undefined' },
      namespace: { type: 'string', array: true, describe: 'Repeatable' },
      jobs: { type: 'number', default: 4, whole: true, describe: 'A count' },
    },
    run: async (args) => {
      same<typeof args.dryRun, boolean>(true);
      same<typeof args.format, 'text' | 'json'>(true);
      same<typeof args.caFile, string | undefined>(true);
      same<typeof args.namespace, string[] | undefined>(true);
      same<typeof args.jobs, number>(true);
      same<typeof args.images, string[]>(true);
      same<typeof args.oneMore, string | undefined>(true);
      same<typeof args.timeout, number>(true);
      same<typeof args.given, ReadonlySet<string>>(true);
      // @ts-expect-error a registry command takes no socket path
      void args.socketPath;
    },
  });
  assert.equal(spec.name, 'example');
  assert.deepEqual(Object.keys(spec.options), ['dry-run', 'format', 'ca-file', 'namespace', 'jobs']);
});
