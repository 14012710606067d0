/** Opening the API for a command: lazily loads the API layer (and undici) only when needed. */
import type { ApiClient } from '../api/client.ts';
import { UsageError } from '../errors.ts';
import type { GlobalArgs } from './context.ts';

export async function withApi<T>(args: GlobalArgs, fn: (client: ApiClient) => Promise<T>): Promise<T> {
  if (!(Number.isFinite(args.timeout) && args.timeout > 0))
    throw new UsageError(`--timeout must be a number of seconds above 0, not '${args.timeout}'`);
  const { ApiClient } = await import('../api/client.ts');
  const client = new ApiClient({ socketPath: args.socketPath, timeoutSeconds: args.timeout });
  try {
    return await fn(client);
  } finally {
    await client.close();
  }
}

export function loadSettingsApi() {
  return import('../api/settings.ts');
}
