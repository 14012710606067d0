/**
 * Every command through the standalone binary, from the table of test/e2e/command-table.ts. Its
 * own file: the binary embeds its own Node, so CI runs it once, not under every Node line
 * (run-tests --exclude=test/e2e/standalone). CIVCTL_REQUIRE_STANDALONE=1 (CI) makes a missing
 * binary a failure.
 */
import { standaloneMissing } from '../helpers.ts';
import { describeEveryCommand } from './command-table.ts';

describeEveryCommand('standalone', standaloneMissing());
