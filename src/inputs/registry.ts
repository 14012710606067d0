/**
 * The registry options resolve, digests and check share, declared once, turned into a
 * RegistryClient: the password comes only from standard input (never argv), the CA file is read
 * here, and without --username the Docker config is consulted.
 */
import { CivError, UsageError } from '../errors.ts';
import { type Io, interruptibly } from '../io.ts';
import { note } from '../output/messages.ts';
import { timerMs } from '../timers.ts';
import type { Credentials } from '../registry/auth.ts';
import type { RegistryClient } from '../registry/client.ts';
import { readInput } from './files.ts';

/** How registry commands reach registries: the password comes only from standard input, never argv. */
export const REGISTRY_OPTIONS = {
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
} as const;

/** REGISTRY_OPTIONS and --timeout, parsed; commands' arguments are checked against it. */
export interface RegistryArgs {
  username?: string | undefined;
  passwordStdin: boolean;
  plainHttp: boolean;
  caFile?: string | undefined;
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
  const caCertificates = args.caFile !== undefined ? readCaFile(io, args.caFile) : undefined;
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

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[^-]*-----END CERTIFICATE-----/g;

/**
 * The certificates of a --ca-file, each one that parses (as Go's AppendCertsFromPEM keeps them);
 * every problem with the file is the same kind of error, naming the option.
 */
function readCaFile(io: Io, path: string): string[] {
  const { readFileSync, statSync } = process.getBuiltinModule('node:fs');
  const full = process.getBuiltinModule('node:path').resolve(io.cwd, path);
  const refuse = (what: string) =>
    new CivError('E_CA_FILE', `--ca-file '${path}' ${what}; give a PEM file of CA certificates`);
  let text: string;
  try {
    if (statSync(full).isDirectory()) throw refuse('is a directory');
    text = readFileSync(full, 'utf8');
  } catch (err) {
    if (err instanceof CivError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw refuse('does not exist');
    if (code === 'EACCES' || code === 'EPERM') throw refuse('cannot be read (permission denied)');
    throw refuse(`cannot be read (${code ?? (err as Error).message})`);
  }
  const blocks = text.match(PEM_CERTIFICATE) ?? [];
  if (blocks.length === 0) throw refuse('holds no PEM certificate');
  const { X509Certificate } = process.getBuiltinModule('node:crypto');
  const certificates: string[] = [];
  let problem = '';
  for (const block of blocks)
    try {
      certificates.push(new X509Certificate(block).toString());
    } catch (err) {
      problem ||= (err as Error).message;
    }
  if (certificates.length === 0) throw refuse(`holds no certificate that can be read (${problem})`);
  return certificates;
}
