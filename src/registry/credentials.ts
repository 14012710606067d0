/**
 * Where registry credentials come from when none are given on the command line: the Docker CLI's
 * config (`$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`), looked up as docker/cli
 * does — `credHelpers[host]`, else `credsStore`, else `auths[host]` — with Docker Hub under
 * `https://index.docker.io/v1/`, and helpers run as `docker-credential-<name> get`. Secrets are
 * never put in argv, messages or files.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CivError } from '../errors.ts';
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

/** Runs `docker-credential-<helper> get` with the server on stdin (the credential-helper protocol). */
function runHelper(
  helper: string,
  server: string,
  env: Record<string, string | undefined>,
): Promise<Credentials | undefined> {
  return new Promise((resolve, reject) => {
    const program = `docker-credential-${helper}`;
    // node:child_process loads only when a helper has to run.
    const { spawn } = process.getBuiltinModule('node:child_process');
    const child = spawn(program, ['get'], { env: env as NodeJS.ProcessEnv, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.resume();
    child.on('error', (err: NodeJS.ErrnoException) =>
      reject(
        new CivError(
          'E_CREDENTIALS',
          err.code === 'ENOENT'
            ? `the Docker config names the credential helper ${program}, which is not installed; install it or give --username`
            : `cannot run the credential helper ${program}: ${err.message}`,
        ),
      ),
    );
    child.on('close', (code) => {
      const text = Buffer.concat(out).toString('utf8');
      // "credentials not found in native keychain" is the protocol's way to say none.
      if (code !== 0) return resolve(undefined);
      try {
        const answer = JSON.parse(text) as { Username?: string; Secret?: string };
        if (!answer.Secret) return resolve(undefined);
        // Username "<token>" marks an identity token.
        const username = answer.Username === '<token>' ? '' : (answer.Username ?? '');
        resolve({ username, secret: answer.Secret });
      } catch {
        reject(new CivError('E_CREDENTIALS', `the credential helper ${program} did not answer with JSON`));
      }
    });
    child.stdin.end(server);
  });
}

/** Credentials for a registry domain from the Docker config, or undefined (anonymous). */
export async function dockerConfigCredentials(
  domain: string,
  env: Record<string, string | undefined>,
): Promise<Credentials | undefined> {
  const path = dockerConfigPath(env);
  if (!path) return undefined;
  const config = await readConfig(path);
  if (!config) return undefined;
  const key = configKey(domain);
  const helper = config.credHelpers?.[key] ?? config.credHelpers?.[domain];
  if (helper) return runHelper(helper, key, env);
  if (config.credsStore) {
    const stored = await runHelper(config.credsStore, key, env);
    if (stored) return stored;
  }
  const entry =
    config.auths?.[key] ??
    config.auths?.[`https://${key}`] ??
    config.auths?.[`http://${key}`] ??
    config.auths?.[`${key}/v1/`];
  return entry ? fromAuthsEntry(entry) : undefined;
}
