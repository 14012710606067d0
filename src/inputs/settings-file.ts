import { CivError } from '../errors.ts';
import { readInput } from './files.ts';
import type { Io } from '../io.ts';
import type { SettingsFile } from '../policy/userdata.ts';

/** Reads a user-data TOML or settings JSON file, or refuses it with one clear error. */
export async function readSettingsFile(io: Io, path: string): Promise<SettingsFile> {
  const bytes = await readInput(io, path);
  const { parseSettingsFile, SettingsFileError } = await import('../policy/userdata.ts');
  try {
    return parseSettingsFile(
      bytes,
      path.endsWith('.json') ? 'json' : path.endsWith('.toml') ? 'toml' : undefined,
    );
  } catch (err) {
    if (err instanceof SettingsFileError)
      throw new CivError(
        'E_INVALID_USERDATA',
        `'${path}' is not a user-data or settings file: ${err.message}`,
      );
    throw err;
  }
}
