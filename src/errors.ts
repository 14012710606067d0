/** Typed errors with stable codes. Only bin.ts turns them into stderr text (output/errors.ts) and an exit code. */

export type ErrorCode =
  | 'E_USAGE'
  | 'E_FILE_NOT_FOUND'
  | 'E_FILE_IS_DIRECTORY'
  | 'E_FILE_UNREADABLE'
  | 'E_FILE_UNWRITABLE'
  | 'E_INPUT_TOO_LARGE'
  | 'E_INPUT_EMPTY'
  | 'E_INVALID_UTF8'
  | 'E_BOM'
  | 'E_INVALID_JSON'
  | 'E_BODY_TOO_LARGE'
  | 'E_INVALID_BASE64'
  | 'E_INVALID_USERDATA'
  | 'E_LINT_FAILED'
  | 'E_NOT_CONFIGURED'
  | 'E_SCHEMA'
  | 'E_API_UNREACHABLE'
  | 'E_API_TIMEOUT'
  | 'E_API_RESPONSE'
  | 'E_API_PROTOCOL'
  | 'E_UNSUPPORTED_VARIANT'
  | 'E_LEGACY_MODEL'
  | 'E_SIMULATOR'
  | 'E_INTERRUPTED'
  | 'E_OUTPUT'
  | 'E_REGISTRY'
  | 'E_BLOCKED'
  | 'E_AUDIT'
  | 'E_WORKLOAD_INPUT'
  | 'E_LOCKED'
  | 'E_CREDENTIALS'
  | 'E_CA_FILE'
  | 'E_CHANNEL_LIMIT'
  | 'E_FLEET_FILE';

export class CivError extends Error {
  override readonly name: string = 'CivError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly exitCode: number = 1,
  ) {
    super(message);
  }
}

/** A mistake in how civctl was called: exit 2, like apiclient and yargs. */
export class UsageError extends CivError {
  override readonly name = 'UsageError';
  constructor(message: string) {
    super('E_USAGE', message, 2);
  }
}

/** Lint found errors; the findings were already printed, so the message is a short summary. */
export class LintFailedError extends CivError {
  override readonly name = 'LintFailedError';
  constructor(message: string) {
    super('E_LINT_FAILED', message, 1);
  }
}

/** SIGINT or SIGTERM stopped a command that had to clean up first: exit 128 + the signal's number. */
export class InterruptedError extends CivError {
  override readonly name = 'InterruptedError';
  constructor(
    readonly signalName: string,
    message: string,
  ) {
    super('E_INTERRUPTED', message, signalName === 'SIGINT' ? 130 : signalName === 'SIGTERM' ? 143 : 1);
  }
}

/**
 * A failure whose lines were already written to stderr (one per failed item): bin.ts only sets
 * the exit code.
 */
export class ReportedError extends CivError {
  override readonly name = 'ReportedError';
}

export function exitCodeOf(error: unknown): number {
  return error instanceof CivError ? error.exitCode : 1;
}
