/** Opening the API for one run: the client (and undici) load only when a command needs the API. */
import type { ApiClient } from './client.ts';

export interface ApiTarget {
  socketPath: string;
  /** Seconds to wait for each request. */
  timeout: number;
}

/** Runs fn with a client for the socket, and always closes it. */
export async function withApi<T>(target: ApiTarget, fn: (client: ApiClient) => Promise<T>): Promise<T> {
  const { ApiClient } = await import('./client.ts');
  const client = new ApiClient({ socketPath: target.socketPath, timeoutSeconds: target.timeout });
  try {
    return await fn(client);
  } finally {
    await client.close();
  }
}
