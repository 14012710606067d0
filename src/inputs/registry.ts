/**
 * The registry options resolve, digests and check share, turned into a RegistryClient: the
 * password comes only from standard input (never argv), the CA file is read here, and without
 * --username the Docker config is consulted.
 */
import { UsageError } from '../errors.ts';
import { type Io, interruptibly } from '../io.ts';
import { note } from '../output/messages.ts';
import { timerMs } from '../timers.ts';
import type { Credentials } from '../registry/auth.ts';
import type { RegistryClient } from '../registry/client.ts';
import type { OptionSpec } from '../commands/spec.ts';
import { readInput } from './files.ts';

export const REGISTRY_OPTIONS: Record<string, OptionSpec> = {
  username: {
    type: 'string',
    describe: 'Registry user (for ECR: AWS); the password comes from --password-stdin',
  },
  'password-stdin': {
    type: 'boolean',
    default: false,
    describe: 'Read the registry password or token from standard input',
  },
  'plain-http': {
    type: 'boolean',
    default: false,
    describe: 'Use http for every registry (containerd: loopback only)',
  },
  'ca-file': { type: 'string', describe: 'PEM file of CA certificates to trust besides the system ones' },
};

export interface RegistryArgs {
  username?: string;
  passwordStdin: boolean;
  plainHttp: boolean;
  caFile?: string;
  timeout: number;
}

/** A client for the registry options given; `stdinTaken` when standard input already holds something else. */
export async function registryClient(
  io: Io,
  args: RegistryArgs,
  stdinTaken = false,
): Promise<RegistryClient> {
  if (args.passwordStdin && args.username === undefined)
    throw new UsageError('--password-stdin needs --username (for ECR: --username AWS)');
  if (args.username !== undefined && !args.passwordStdin)
    throw new UsageError(
      '--username needs --password-stdin: the password is read from standard input, never from arguments',
    );
  if (args.passwordStdin && stdinTaken)
    throw new UsageError(
      'standard input cannot hold both the password and a policy; give the policy as a file',
    );
  let explicit: Credentials | undefined;
  if (args.username !== undefined) {
    const secret = Buffer.from(await readInput(io, '-'))
      .toString('utf8')
      .replace(/\r?\n$/, '');
    if (secret === '') throw new UsageError('--password-stdin read an empty password');
    explicit = { username: args.username, secret };
  }
  const caCertificates =
    args.caFile !== undefined ? [Buffer.from(await readInput(io, args.caFile)).toString('utf8')] : undefined;
  if (caCertificates && !caCertificates[0]!.includes('-----BEGIN CERTIFICATE-----'))
    throw new UsageError(`--ca-file '${args.caFile}' holds no PEM certificate`);
  // The registry layer (node:tls, node:crypto, node:child_process) loads only for registry commands.
  const { RegistryClient } = await import('../registry/client.ts');
  // The Docker config is read only when a registry asks for credentials. A credential helper runs
  // within --timeout, in an interruptible section: SIGINT/SIGTERM kill it before civctl exits.
  const fromDockerConfig = async (domain: string) => {
    const { dockerConfigCredentials } = await import('../registry/credentials.ts');
    return interruptibly(io, (signal) =>
      dockerConfigCredentials(domain, io.env, {
        timeoutMs: timerMs(args.timeout),
        signal,
        onStderr: (program, text) => note(io, `${program}: ${text}`),
      }),
    );
  };
  return new RegistryClient({
    timeoutSeconds: args.timeout,
    plainHttp: args.plainHttp,
    ...(caCertificates ? { caCertificates } : {}),
    credentials: explicit ? async () => explicit : fromDockerConfig,
    env: io.env,
    ...(io.connectLookup ? { lookup: io.connectLookup } : {}),
  });
}
