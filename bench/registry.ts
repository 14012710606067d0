// Starts the loopback registry rig (test/registry-rig.ts) for bench/run.sh, writes its open
// registry's address to the file named, and runs until SIGTERM.
import { writeFileSync } from 'node:fs';
import { startRig } from '../test/registry-rig.ts';

const rig = await startRig();
writeFileSync(process.argv[2]!, rig.open);
await new Promise<void>((resolve) => process.once('SIGTERM', () => resolve()));
await rig.stop();
