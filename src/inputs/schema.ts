/** Loading a user's JSON Schema for custom verifiers (ajv is imported only here, lazily). */
import { CivError } from '../errors.ts';
import { readInput } from './files.ts';
import type { Io } from '../io.ts';
import type { SchemaValidator } from '../policy/custom.ts';

export async function loadSchema(io: Io, path: string): Promise<SchemaValidator> {
  const bytes = await readInput(io, path);
  let schema: unknown;
  try {
    schema = JSON.parse(new TextDecoder().decode(bytes));
  } catch (err) {
    throw new CivError('E_SCHEMA', `schema '${path}' is not valid JSON: ${(err as Error).message}`);
  }
  const { compileSchema } = await import('../policy/custom.ts');
  try {
    return compileSchema(schema);
  } catch (err) {
    throw new CivError('E_SCHEMA', `schema '${path}' is not a usable JSON Schema: ${(err as Error).message}`);
  }
}
