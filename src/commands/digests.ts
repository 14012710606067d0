/**
 * digests list | add | remove: keep a digestion allowlist by image, in a local file or on the node,
 * without losing concurrent updates (the edits live in allowlist/: file.ts, node.ts).
 */
import { withApi } from '../api/connect.ts';
import { readLive } from '../api/write.ts';
import { editFile, fileToEdit } from '../allowlist/file.ts';
import { digestsOf, itemsFrom, parseItems } from '../allowlist/items.ts';
import { editNode, livePolicy } from '../allowlist/node.ts';
import { CivError, UsageError } from '../errors.ts';
import { isStdin, readInput } from '../inputs/files.ts';
import { WORKLOAD_FILTER_OPTIONS } from '../inputs/workload-files.ts';
import { safeJson, terminalSafe } from '../output/escape.ts';
import { allowlistProblem, listedDigests } from '../policy/digest-list.ts';
import { defineCommand } from '../cli/spec.ts';
import { DRY_RUN, FORCE, REGISTRY_OPTIONS } from './options.ts';

const ACTIONS = ['list', 'add', 'remove'] as const;

export const digestsCommand = defineCommand({
  name: 'digests',
  describe: 'List, add or remove digestion allowlist entries by image or digest, in a file or on the node',
  positionals: [
    { name: 'action', required: true, describe: 'list, add or remove' },
    { name: 'items', variadic: true, describe: 'images (resolved as containerd does) or digests' },
  ],
  options: {
    file: {
      type: 'string',
      describe:
        'edit this policy file (created when missing; a symbolic link edits the file it names) instead of the node',
    },
    format: {
      type: 'string',
      choices: ['text', 'json'],
      default: 'text',
      describe: 'Output format of digests list',
    },
    from: {
      type: 'string',
      array: true,
      describe:
        'Add the digest of every image in this file: kubectl get pods -o json|yaml, manifests, crictl images -o json, an image list (- for stdin; repeatable)',
    },
    ...WORKLOAD_FILTER_OPTIONS,
    ...DRY_RUN,
    ...FORCE,
    ...REGISTRY_OPTIONS,
  },
  examples: [
    ['$0 digests add redis:7.4.8-alpine3.21', 'Allow an image on this node (its index digest)'],
    ['$0 digests add --file digests.json nginx:1.27 sha256:…', 'Keep an allowlist file for user-data'],
    ['$0 digests remove --file digests.json nginx:1.27', 'Stop allowing an image'],
    ['$0 digests list', "The node's allowlist, one digest a line"],
    ['$0 digests list --format json --file digests.json', 'The allowlist as JSON'],
    [
      'kubectl get pods -A -o json | $0 digests add --file digests.json --from -',
      'An allowlist of what the cluster runs',
    ],
  ],
  run: async (args, ctx) => {
    const io = ctx.io;
    if (!(ACTIONS as readonly string[]).includes(args.action))
      throw new UsageError(
        `unknown action '${args.action}': use digests list, digests add or digests remove`,
      );
    if (args.action === 'list') {
      if (args.items.length > 0) throw new UsageError('digests list takes no images or digests');
      const bytes =
        args.file !== undefined
          ? await readInput(io, args.file)
          : livePolicy((await withApi(args, (client) => readLive(client, null))).plugins);
      const problem = allowlistProblem(bytes);
      if (problem)
        throw new CivError(
          'E_INVALID_JSON',
          `${args.file !== undefined ? `'${args.file}'` : "the node's digestion policy"} is not a digest allowlist: ${problem}`,
        );
      const digests = listedDigests(bytes);
      io.stdout.write(
        args.format === 'json'
          ? `${safeJson({ file: args.file ?? null, digests }, 2)}\n`
          : digests.map((d) => `${terminalSafe(d)}\n`).join(''),
      );
      return;
    }
    if (args.format !== 'text') throw new UsageError('--format applies to digests list only');
    if (args.items.length === 0 && args.from === undefined)
      throw new UsageError(`digests ${args.action} needs at least one image or digest, or --from FILE`);
    if (args.from !== undefined && args.action !== 'add')
      throw new UsageError('--from adds what workloads run: use it with digests add');
    if (args.from === undefined && (args.namespace !== undefined || args.selector !== undefined))
      throw new UsageError('--namespace and --selector filter what --from reads; give --from FILE');
    const items = [...parseItems(args.items), ...(args.from ? await itemsFrom(io, args.from, args) : [])];
    const file = args.file !== undefined ? fileToEdit(io, args, args.file) : undefined;
    const digests = await digestsOf(io, args, items, args.from?.some(isStdin) ?? false);
    const [add, remove] = args.action === 'add' ? [digests, []] : [[], digests];
    if (file !== undefined)
      await editFile(io, { ...args, createMissing: args.action === 'add' }, file, add, remove);
    else await editNode(io, args, add, remove);
  },
});
