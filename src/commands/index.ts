/** Every civctl command, in the order --help lists them. */
import { applyCommand } from './apply.ts';
import { auditCommand } from './audit.ts';
import { checkCommand } from './check.ts';
import { decodeCommand } from './decode.ts';
import { digestsCommand } from './digests.ts';
import { disableCommand, enableCommand } from './enable-disable.ts';
import { encodeCommand } from './encode.ts';
import { getCommand } from './get.ts';
import { lintCommand } from './lint.ts';
import { resolveCommand } from './resolve.ts';
import { setCommand } from './set.ts';
import { simCommand } from './sim.ts';
import type { CommandSpec } from '../cli/spec.ts';
import { statusCommand } from './status.ts';

export const COMMANDS: readonly CommandSpec[] = [
  encodeCommand,
  decodeCommand,
  lintCommand,
  getCommand,
  setCommand,
  applyCommand,
  enableCommand,
  disableCommand,
  statusCommand,
  resolveCommand,
  digestsCommand,
  checkCommand,
  auditCommand,
  simCommand,
];

/**
 * COMMANDS with every help text (describe, examples), which only the full parser prints (help,
 * completion). Here they are the same table; the bundle's table leaves the texts out, so that an
 * ordinary run does not compile every command's texts, and this loads them from the full parser's
 * chunk (scripts/program-split.mjs).
 */
export async function commandsWithHelp(): Promise<readonly CommandSpec[]> {
  return COMMANDS;
}
