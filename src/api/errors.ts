/** Errors from talking to the Bottlerocket API. They carry stable codes; api/ never prints. */
import { statSync } from 'node:fs';
import { CivError } from '../errors.ts';

/** A non-2xx answer, shown the way apiclient shows it. */
export class ApiResponseError extends CivError {
  override readonly name = 'ApiResponseError';
  constructor(
    readonly method: string,
    readonly path: string,
    readonly status: number,
    readonly body: string,
  ) {
    super('E_API_RESPONSE', `Status ${status} when ${method}ing ${path}: ${body.trim() || '(empty body)'}`);
  }
}

/** The socket could not be reached, or the connection broke before an answer. */
export class ApiUnreachableError extends CivError {
  override readonly name = 'ApiUnreachableError';
  constructor(
    readonly socketPath: string,
    readonly causeCode: string,
    message: string,
  ) {
    super('E_API_UNREACHABLE', message);
  }
}

export class ApiTimeoutError extends CivError {
  override readonly name = 'ApiTimeoutError';
  constructor(
    readonly socketPath: string,
    message: string,
  ) {
    super('E_API_TIMEOUT', message);
  }
}

const CHECK =
  'run civctl in the admin or control container, where /run/api.sock is mounted, or point -s/--socket-path at the API socket';

/** What the path is when it exists but is not a socket ("a directory", "a regular file"). */
function notASocket(path: string): string | undefined {
  try {
    const st = statSync(path);
    if (st.isSocket()) return undefined;
    return st.isDirectory() ? 'a directory' : st.isFile() ? 'a regular file' : 'not a socket file';
  } catch {
    return undefined;
  }
}

/** Maps a low-level connection error to one clear line that names the socket and what to check. */
export function connectionError(
  socketPath: string,
  method: string,
  path: string,
  err: unknown,
  timeoutSeconds: number,
): CivError {
  const code = String((err as { code?: unknown }).code ?? '');
  const where = `the Bottlerocket API socket ${socketPath}`;
  switch (code) {
    case 'ENOENT':
      return new ApiUnreachableError(socketPath, code, `${where} does not exist; ${CHECK}`);
    case 'EACCES':
    case 'EPERM':
      return new ApiUnreachableError(
        socketPath,
        code,
        `permission denied on ${where}; run as root in the admin or control container (the socket belongs to the api group)`,
      );
    case 'ECONNREFUSED':
    case 'ENOTSOCK': {
      const kind = notASocket(socketPath);
      if (kind)
        return new ApiUnreachableError(socketPath, code, `${where} is ${kind}, not a socket; ${CHECK}`);
      if (code === 'ENOTSOCK')
        return new ApiUnreachableError(socketPath, code, `${where} is not a socket; ${CHECK}`);
      return new ApiUnreachableError(
        socketPath,
        code,
        `nothing is listening on ${where} (is apiserver running?); ${CHECK}`,
      );
    }
    case 'UND_ERR_HEADERS_TIMEOUT':
    case 'UND_ERR_BODY_TIMEOUT':
    case 'UND_ERR_CONNECT_TIMEOUT':
      return new ApiTimeoutError(
        socketPath,
        `no answer from ${where} within ${timeoutSeconds} s for ${method} ${path}; the API may be busy, try a larger --timeout`,
      );
    case 'ECONNRESET':
    case 'EPIPE':
    case 'UND_ERR_SOCKET':
    case 'UND_ERR_CLOSED':
      return new ApiUnreachableError(
        socketPath,
        code,
        `the connection to ${where} was closed before it answered ${method} ${path}; try again`,
      );
    default:
      if ((err as Error)?.name === 'HTTPParserError' || code.startsWith('HPE_'))
        return new CivError(
          'E_API_PROTOCOL',
          `${where} did not answer ${method} ${path} with valid HTTP; ${CHECK}`,
        );
      return new ApiUnreachableError(
        socketPath,
        code || 'UNKNOWN',
        `cannot talk to ${where} (${code || (err as Error)?.message || 'unknown error'}) for ${method} ${path}; ${CHECK}`,
      );
  }
}
