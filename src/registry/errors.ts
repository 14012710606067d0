/** Why a registry operation failed, as one kind an operator can act on. registry/ never prints. */
import { CivError } from '../errors.ts';

export type RegistryFailure =
  | 'unknown-tag'
  | 'unknown-manifest'
  | 'unknown-repository'
  | 'authentication-required'
  | 'wrong-credentials'
  | 'connection-refused'
  | 'host-not-found'
  | 'tls'
  | 'timeout'
  | 'proxy'
  | 'protocol'
  | 'unsupported'
  | 'too-large'
  | 'server';

export class RegistryError extends CivError {
  override readonly name = 'RegistryError';
  constructor(
    readonly failure: RegistryFailure,
    message: string,
  ) {
    super('E_REGISTRY', message);
  }
}
