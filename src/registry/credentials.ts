/**
 * Where registry credentials come from when none are given on the command line: the Docker CLI's
 * config (`$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`), looked up as docker/cli
 * does — `credHelpers[host]`, else `credsStore`, else `auths[host]` — with Docker Hub under
 * `https://index.docker.io/v1/`, and helpers run as `docker-credential-<name> get`. Secrets are
 * never put in argv, messages or files.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CivError, InterruptedError } from '../errors.ts';
import { goExitText, spawnGroup } from '../process-group.ts';
import type { Credentials } from './auth.ts';

/** The key Docker Hub's credentials are stored under. */
export const DOCKER_HUB_KEY = 'https://index.docker.io/v1/';

interface DockerConfig {
  auths?: Record<string, { auth?: string; username?: string; password?: string; identitytoken?: string }>;
  credHelpers?: Record<string, string>;
  credsStore?: string;
}

export function dockerConfigPath(env: Record<string, string | undefined>): string | undefined {
  if (env['DOCKER_CONFIG']) return join(env['DOCKER_CONFIG'], 'config.json');
  if (env['HOME']) return join(env['HOME'], '.docker', 'config.json');
  return undefined;
}

/** The key a registry's domain has in the Docker config. */
export function configKey(domain: string): string {
  return domain === 'docker.io' || domain === 'index.docker.io' || domain === 'registry-1.docker.io'
    ? DOCKER_HUB_KEY
    : domain;
}

async function readConfig(path: string): Promise<DockerConfig | undefined> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null ? (parsed as DockerConfig) : undefined;
  } catch {
    throw new CivError(
      'E_CREDENTIALS',
      `the Docker config ${path} is not valid JSON; fix it or give --username`,
    );
  }
}

/** An `auths` entry: `auth` is base64 `user:pass`; `identitytoken` is a refresh token. */
function fromAuthsEntry(entry: NonNullable<DockerConfig['auths']>[string]): Credentials | undefined {
  if (entry.identitytoken) return { username: '', secret: entry.identitytoken };
  if (entry.auth) {
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon > 0) return { username: decoded.slice(0, colon), secret: decoded.slice(colon + 1) };
  }
  if (entry.username && entry.password) return { username: entry.username, secret: entry.password };
  return undefined;
}

/** How a credential helper is run: bounded in time, interruptible, its stderr shown. */
export interface HelperOptions {
  /** The registry timeout (--timeout), in ms: a helper that has not answered by then is killed. */
  timeoutMs: number;
  /** The interruptible section's signal: SIGINT/SIGTERM kill the helper's process group. */
  signal: AbortSignal;
  /** Shows what a helper wrote on stderr (docker passes it to the terminal); never credentials. */
  onStderr?: (program: string, text: string) => void;
}

/** docker-credential-helpers' texts a helper prints on stdout when `get` fails (credentials/error.go). */
const NOT_FOUND = 'credentials not found in native keychain';
/** A helper's answer is a small JSON object; more than this is not one. */
const MAX_ANSWER_BYTES = 1024 * 1024;
/** How much of a helper's own error text a message shows. */
const MAX_SHOWN_CHARS = 300;
/** Node's timers hold at most 2^31-1 ms; a longer deadline is as good as none. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** A helper's text for a message: one line, bounded, without the secret it may hold. */
function shown(text: string, secret: string | undefined): string {
  let line = text.trim().replace(/\s*\n\s*/g, ' ');
  if (secret) line = line.split(secret).join('***');
  return line.length > MAX_SHOWN_CHARS ? `${line.slice(0, MAX_SHOWN_CHARS)}…` : line;
}

/** A helper's stdout as client.Get decodes it: a JSON object (Username, Secret), else undefined. */
function parseAnswer(text: string): { username: string; secret: string } | undefined {
  let answer: unknown;
  try {
    answer = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof answer !== 'object' || answer === null || Array.isArray(answer)) return undefined;
  const { Username, Secret } = answer as { Username?: unknown; Secret?: unknown };
  return {
    username: typeof Username === 'string' ? Username : '',
    secret: typeof Secret === 'string' ? Secret : '',
  };
}

/**
 * Runs `docker-credential-<helper> get` with the server on stdin (the credential-helper protocol),
 * as docker-credential-helpers' client.Get judges the answer: exit 0 and JSON is the credentials;
 * a failure whose stdout, trimmed, is "credentials not found in native keychain" means none; any
 * other failure is an error that carries the helper's stdout (its error message, by the protocol).
 * Unlike docker, the helper is bounded by the registry timeout and killed with its process group
 * when the timeout passes or SIGINT/SIGTERM arrive; its stderr, which docker passes straight to the
 * terminal, is shown as a note naming it (or in the error, when it failed). Text that parsed as
 * credentials is never shown, and a secret that was read is blanked out of whatever is.
 */
function runHelper(
  helper: string,
  server: string,
  env: Record<string, string | undefined>,
  options: HelperOptions,
): Promise<Credentials | undefined> {
  const program = `docker-credential-${helper}`;
  const interrupted = (signalName: string) =>
    new InterruptedError(
      signalName,
      `interrupted by ${signalName} while the credential helper ${program} ran; it was stopped`,
    );
  return new Promise((resolve, reject) => {
    let settled = false;
    const group = spawnGroup(program, ['get'], {
      env: env as NodeJS.ProcessEnv,
      signal: options.signal,
      onInterrupt: (signalName) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        reject(interrupted(signalName));
      },
    });
    if (!group) return reject(interrupted(String(options.signal.reason)));
    const { child } = group;
    const settle = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      group.finish();
      outcome();
    };
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let outBytes = 0;
    let errBytes = 0;
    let outEnded = false;
    let errEnded = false;
    let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    const timer = setTimeout(
      () =>
        settle(() =>
          reject(
            new CivError(
              'E_CREDENTIALS',
              `the credential helper ${program} did not answer within ${options.timeoutMs / 1000} s and was stopped; fix the helper, give a larger --timeout, or give --username`,
            ),
          ),
        ),
      Math.min(options.timeoutMs, MAX_TIMER_MS),
    );
    child.on('error', (e: NodeJS.ErrnoException) =>
      settle(() =>
        reject(
          new CivError(
            'E_CREDENTIALS',
            e.code === 'ENOENT'
              ? `the Docker config names the credential helper ${program}, which is not installed; install it or give --username`
              : `cannot run the credential helper ${program}: ${e.message}`,
          ),
        ),
      ),
    );
    const collect = (chunks: Buffer[], chunk: Buffer, bytes: number) => {
      if (bytes < MAX_ANSWER_BYTES) chunks.push(chunk.subarray(0, MAX_ANSWER_BYTES - bytes));
      return bytes + chunk.length;
    };
    child.stdout.on('data', (c: Buffer) => {
      outBytes = collect(out, c, outBytes);
    });
    child.stderr.on('data', (c: Buffer) => {
      errBytes = collect(err, c, errBytes);
    });
    const conclude = () => {
      if (!exit || !outEnded || !errEnded) return;
      const { code, signal } = exit;
      settle(() => {
        const stdout = Buffer.concat(out).toString('utf8');
        const stderr = Buffer.concat(err).toString('utf8');
        const answer = outBytes <= MAX_ANSWER_BYTES ? parseAnswer(stdout) : undefined;
        const stderrShown = shown(stderr, answer?.secret);
        if (code !== 0) {
          if (stdout.trim() === NOT_FOUND) {
            if (stderrShown) options.onStderr?.(program, stderrShown);
            return resolve(undefined);
          }
          const stdoutShown = answer ? '(its stdout held credentials: not shown)' : shown(stdout, undefined);
          const said = [stdoutShown, stderrShown && `stderr: ${stderrShown}`].filter(Boolean).join('; ');
          return reject(
            new CivError(
              'E_CREDENTIALS',
              `the credential helper ${program} failed (${goExitText(code, signal)})${said ? `: ${said}` : ' without a message'}; fix it or give --username`,
            ),
          );
        }
        if (stderrShown) options.onStderr?.(program, stderrShown);
        if (!answer)
          return reject(
            new CivError(
              'E_CREDENTIALS',
              `the credential helper ${program} did not answer with credentials in JSON`,
            ),
          );
        if (!answer.secret) return resolve(undefined);
        // Username "<token>" marks an identity token.
        resolve({ username: answer.username === '<token>' ? '' : answer.username, secret: answer.secret });
      });
    };
    child.stdout.on('end', () => {
      outEnded = true;
      conclude();
    });
    child.stderr.on('end', () => {
      errEnded = true;
      conclude();
    });
    child.on('exit', (code, signal) => {
      exit = { code, signal };
      // Whatever the helper left running in its group would hold the pipes open.
      group.kill();
      conclude();
    });
    // A helper that exits without reading its stdin makes this fail with EPIPE: ignored (spawnGroup).
    child.stdin.end(server);
  });
}

/** Credentials for a registry domain from the Docker config, or undefined (anonymous). */
export async function dockerConfigCredentials(
  domain: string,
  env: Record<string, string | undefined>,
  options: HelperOptions,
): Promise<Credentials | undefined> {
  const path = dockerConfigPath(env);
  if (!path) return undefined;
  const config = await readConfig(path);
  if (!config) return undefined;
  const key = configKey(domain);
  const helper = config.credHelpers?.[key] ?? config.credHelpers?.[domain];
  if (helper) return runHelper(helper, key, env, options);
  if (config.credsStore) {
    const stored = await runHelper(config.credsStore, key, env, options);
    if (stored) return stored;
  }
  const entry =
    config.auths?.[key] ??
    config.auths?.[`https://${key}`] ??
    config.auths?.[`http://${key}`] ??
    config.auths?.[`${key}/v1/`];
  return entry ? fromAuthsEntry(entry) : undefined;
}
