/** encode's policy arguments: one verifier and its file, or several VERIFIER=FILE pairs. */
import { UsageError } from '../errors.ts';
import type { Io } from '../io.ts';
import { isStdin } from './files.ts';
import { requireVerifierName } from './verifier-name.ts';

/** `notation a.json` or `notation=a.json digestion=b.json …` → [verifier, path] pairs. */
export function parsePolicyArgs(targets: string[], io?: Io): [string, string | undefined][] {
  if (targets.length === 0)
    throw new UsageError('encode needs a verifier name, e.g. civctl encode notation policy.json');
  let pairs: [string, string | undefined][];
  if (targets[0]!.includes('=')) {
    pairs = targets.map((t) => {
      const eq = t.indexOf('=');
      if (eq < 0) throw new UsageError(`expected VERIFIER=FILE, got '${t}' (do not mix the two forms)`);
      return [t.slice(0, eq), t.slice(eq + 1) || '-'];
    });
  } else {
    if (targets.length > 2)
      throw new UsageError(
        `too many arguments: give one verifier and one file, or several VERIFIER=FILE pairs`,
      );
    pairs = [[targets[0]!, targets[1]]];
  }
  const seen = new Set<string>();
  for (const [name] of pairs) {
    requireVerifierName(name, io);
    if (seen.has(name)) throw new UsageError(`verifier '${name}' is given twice`);
    seen.add(name);
  }
  if (pairs.filter(([, p]) => isStdin(p)).length > 1)
    throw new UsageError('only one policy can come from standard input');
  return pairs;
}
