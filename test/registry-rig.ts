/**
 * A loopback OCI registry rig built from Debian's packages (docker-registry, apache2-utils'
 * htpasswd, openssl), started by the tests themselves on 127.0.0.1:
 *   open    — no auth; images are pushed here (all registries share one storage folder)
 *   basic   — htpasswd, user alice, password s3cret
 *   token   — Bearer tokens from a token server in this process (anonymous: pull on all but
 *             private/*; Basic alice:s3cret: everything asked; wrong password: 401)
 *   tls     — https with a certificate from a CA of the rig's own, for registry.civctl.test
 *   nodigest, nohead — proxies in front of `open` that drop Docker-Content-Digest, or answer 405 to HEAD
 * Images: demo/single:v1 (OCI manifest), demo/multi:v1 (OCI index amd64+arm64), private/app:v1
 * (the same index), demo/multi-docker:v1 (a Docker manifest list, with its linux/amd64 manifest).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash, createPrivateKey, sign } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, request as httpRequest, type Server } from 'node:http';
import { createServer as createNetServer, type LookupFunction } from 'node:net';
import { join } from 'node:path';
import { tempDir } from './helpers.ts';

export const REGISTRY_BINARY = '/usr/bin/docker-registry';
export const TLS_HOST = 'registry.civctl.test';

/** Why the registry tests cannot run here, or undefined when they can. */
export function rigUnavailable(): string | undefined {
  const missing = [REGISTRY_BINARY, '/usr/bin/htpasswd', '/usr/bin/openssl'].filter((f) => !existsSync(f));
  return missing.length > 0
    ? `the registry tests need Debian's docker-registry, apache2-utils and openssl (missing: ${missing.join(', ')}); install them with apt-get, as .ci/run does`
    : undefined;
}

export interface Image {
  name: string;
  /** The digest containerd presents: the manifest's, or the index's / list's. */
  digest: string;
  mediaType: string;
  size: number;
  /** For lists: the linux/amd64 manifest digest a wrong Accept header gets instead. */
  amd64?: string;
}

export interface Rig {
  open: string;
  basic: string;
  token: string;
  tls: string;
  nodigest: string;
  nohead: string;
  caFile: string;
  lookup: LookupFunction;
  images: Record<'single' | 'multi' | 'private' | 'docker' | 'signed', Image>;
  /** demo/signed:v1 carries one JWS notation signature (tag schema) whose certificate has this subject. */
  signerSubject: string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

/**
 * The header each registry of a rig answers with (its configuration's http.headers): a server
 * another test started on the same port is not taken for it.
 */
const RIG_HEADER = 'x-civctl-rig';

/**
 * Waits until this registry (http or https, its certificate not checked) answers /v2/ with the
 * rig's header (any status), or fails with its log after a bound.
 */
async function waitForRegistry(url: string, log: string, child: ChildProcess, token: string): Promise<void> {
  const request = url.startsWith('https:') ? (await import('node:https')).request : httpRequest;
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error(`registry exited: ${readFileSync(log, 'utf8')}`);
    const ok = await new Promise<boolean>((resolve) => {
      const req = request(url, { method: 'GET', timeout: 500, rejectUnauthorized: false }, (res) => {
        res.resume();
        resolve(res.headers[RIG_HEADER] === token);
      });
      req.on('error', () => resolve(false));
      req.on('timeout', () => req.destroy());
      req.end();
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`registry at ${url} did not start: ${readFileSync(log, 'utf8')}`);
}

function sha256(data: Uint8Array): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/** One HTTP exchange with the open registry (for pushing). */
function call(
  base: string,
  method: string,
  path: string,
  body?: Uint8Array,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      path.startsWith('http') ? path : `http://${base}${path}`,
      { method, headers: { ...headers, ...(body ? { 'content-length': String(body.length) } : {}) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString(),
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function pushBlob(base: string, repo: string, data: Uint8Array): Promise<string> {
  const digest = sha256(data);
  const start = await call(base, 'POST', `/v2/${repo}/blobs/uploads/`);
  if (start.status !== 202) throw new Error(`upload start ${start.status} ${start.body}`);
  const location = String(start.headers['location']);
  const url = new URL(location, `http://${base}`);
  url.searchParams.set('digest', digest);
  const put = await call(base, 'PUT', url.toString(), data, { 'content-type': 'application/octet-stream' });
  if (put.status !== 201) throw new Error(`blob put ${put.status} ${put.body}`);
  return digest;
}

async function pushManifest(
  base: string,
  repo: string,
  ref: string,
  mediaType: string,
  data: Uint8Array,
): Promise<void> {
  const put = await call(base, 'PUT', `/v2/${repo}/manifests/${ref}`, data, { 'content-type': mediaType });
  if (put.status !== 201) throw new Error(`manifest put ${put.status} ${put.body}`);
}

const json = (value: unknown) => Buffer.from(JSON.stringify(value));

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
const DOCKER_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';

/** An image manifest for one architecture, its blobs pushed; returns its bytes. */
async function imageManifest(base: string, repo: string, arch: string, docker: boolean): Promise<Uint8Array> {
  const layer = Buffer.from(`layer for ${arch} ${docker ? 'docker' : 'oci'}\n`);
  const config = json({
    architecture: arch,
    os: 'linux',
    rootfs: { type: 'layers', diff_ids: [sha256(layer)] },
  });
  const layerDigest = await pushBlob(base, repo, layer);
  const configDigest = await pushBlob(base, repo, config);
  return json({
    schemaVersion: 2,
    mediaType: docker ? DOCKER_MANIFEST : OCI_MANIFEST,
    config: {
      mediaType: docker
        ? 'application/vnd.docker.container.image.v1+json'
        : 'application/vnd.oci.image.config.v1+json',
      digest: configDigest,
      size: config.length,
    },
    layers: [
      {
        mediaType: docker
          ? 'application/vnd.docker.image.rootfs.diff.tar.gzip'
          : 'application/vnd.oci.image.layer.v1.tar+gzip',
        digest: layerDigest,
        size: layer.length,
      },
    ],
  });
}

/**
 * Attaches a notation-shaped JWS signature to an image the way notation does on a registry
 * without the referrers API: the signature manifest (subject = the image), and an index tagged
 * `sha256-<hex>` listing it. The envelope carries a real certificate; its signature is not real.
 */
async function pushSignature(
  base: string,
  repo: string,
  image: Image,
  certificateDer: Buffer,
): Promise<void> {
  const b64url = (b: Buffer) => b.toString('base64url');
  const envelope = json({
    payload: b64url(
      json({ targetArtifact: { mediaType: image.mediaType, digest: image.digest, size: image.size } }),
    ),
    protected: b64url(json({ alg: 'PS256', cty: 'application/vnd.cncf.notary.payload.v1+json' })),
    header: { x5c: [certificateDer.toString('base64')], 'io.cncf.notary.signingAgent': 'civctl test rig' },
    signature: b64url(Buffer.from('not a real signature')),
  });
  const empty = Buffer.from('{}');
  const signature = json({
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    artifactType: 'application/vnd.cncf.notary.signature',
    config: {
      mediaType: 'application/vnd.oci.empty.v1+json',
      digest: await pushBlob(base, repo, empty),
      size: 2,
    },
    layers: [
      {
        mediaType: 'application/jose+json',
        digest: await pushBlob(base, repo, envelope),
        size: envelope.length,
      },
    ],
    subject: { mediaType: image.mediaType, digest: image.digest, size: image.size },
  });
  const signatureDigest = sha256(signature);
  await pushManifest(base, repo, signatureDigest, OCI_MANIFEST, signature);
  const referrers = json({
    schemaVersion: 2,
    mediaType: OCI_INDEX,
    manifests: [
      {
        mediaType: OCI_MANIFEST,
        digest: signatureDigest,
        size: signature.length,
        artifactType: 'application/vnd.cncf.notary.signature',
      },
    ],
  });
  await pushManifest(base, repo, image.digest.replace(':', '-'), OCI_INDEX, referrers);
}

async function pushIndex(base: string, repo: string, tag: string, docker: boolean): Promise<Image> {
  const entries = [];
  let amd64: string | undefined;
  for (const arch of ['amd64', 'arm64']) {
    const manifest = await imageManifest(base, repo, arch, docker);
    const digest = sha256(manifest);
    if (arch === 'amd64') amd64 = digest;
    await pushManifest(base, repo, digest, docker ? DOCKER_MANIFEST : OCI_MANIFEST, manifest);
    entries.push({
      mediaType: docker ? DOCKER_MANIFEST : OCI_MANIFEST,
      digest,
      size: manifest.length,
      platform: { architecture: arch, os: 'linux' },
    });
  }
  const mediaType = docker ? DOCKER_LIST : OCI_INDEX;
  const index = json({ schemaVersion: 2, mediaType, manifests: entries });
  await pushManifest(base, repo, tag, mediaType, index);
  return { name: repo, digest: sha256(index), mediaType, size: index.length, ...(amd64 ? { amd64 } : {}) };
}

/** A token server for the token registry: RS256 JWTs whose x5c is the registry's trusted certificate. */
function tokenServer(keyPem: string, certPem: string): Server {
  const key = createPrivateKey(keyPem);
  const der = Buffer.from(certPem.replace(/-----[^-]+-----|\s/g, ''), 'base64').toString('base64');
  const b64u = (b: Buffer) => b.toString('base64url');
  return createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const reply = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.method === 'POST') return reply(404, { error: 'use GET' }); // containerd-style clients fall back to GET
    if (url.pathname !== '/token') return reply(404, {});
    let user: string | undefined;
    const auth = req.headers.authorization ?? '';
    if (auth.startsWith('Basic ')) {
      const [name, password] = Buffer.from(auth.slice(6), 'base64').toString().split(':');
      if (name !== 'alice' || password !== 's3cret')
        return reply(401, { errors: [{ code: 'UNAUTHORIZED' }] });
      user = name;
    }
    const access = url.searchParams.getAll('scope').flatMap((scope) =>
      scope.split(' ').map((one) => {
        const [type, ...rest] = one.split(':');
        const actions = rest.pop()!.split(',');
        const name = rest.join(':');
        const allowed = user
          ? actions
          : name.startsWith('private/')
            ? []
            : actions.filter((a) => a === 'pull');
        return { type, name, actions: allowed };
      }),
    );
    const now = Math.floor(Date.now() / 1000);
    const head = b64u(json({ typ: 'JWT', alg: 'RS256', x5c: [der] }));
    const body = b64u(
      json({
        iss: 'civctl-test-issuer',
        sub: user ?? '',
        aud: url.searchParams.get('service'),
        exp: now + 300,
        nbf: now - 10,
        iat: now,
        jti: String(Math.random()),
        access,
      }),
    );
    const signature = b64u(sign('sha256', Buffer.from(`${head}.${body}`), key));
    const token = `${head}.${body}.${signature}`;
    reply(200, { token, access_token: token, expires_in: 300 });
  });
}

/** A proxy in front of `target` that changes one thing about manifest answers. */
function proxy(target: string, mode: 'nodigest' | 'nohead'): Server {
  return createServer((req, res) => {
    if (mode === 'nohead' && req.method === 'HEAD') {
      res.writeHead(405);
      return res.end();
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const up = httpRequest(
        `http://${target}${req.url}`,
        { method: req.method, headers: req.headers },
        (answer) => {
          const headers = { ...answer.headers };
          if (mode === 'nodigest') delete headers['docker-content-digest'];
          res.writeHead(answer.statusCode ?? 502, headers);
          answer.pipe(res);
        },
      );
      up.end(Buffer.concat(chunks));
    });
  });
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `127.0.0.1:${(server.address() as { port: number }).port}`;
}

function openssl(args: string[], cwd: string): void {
  const r = spawnSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
  if (r.status !== 0) throw new Error(`openssl ${args[0]}: ${r.stderr.toString()}`);
}

/** A key NAME.key and a self-signed certificate NAME.crt (PEM) or NAME.der, valid for two days. */
function selfSigned(cwd: string, name: string, subject: string, form: 'PEM' | 'DER' = 'PEM'): void {
  const certificate = `${name}.${form === 'PEM' ? 'crt' : 'der'}`;
  openssl(
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      `${name}.key`,
      '-outform',
      form,
      '-out',
      certificate,
      '-days',
      '2',
      '-subj',
      subject,
    ],
    cwd,
  );
}

export async function startRig(): Promise<Rig> {
  const dir = tempDir();
  const children: ChildProcess[] = [];
  const servers: Server[] = [];
  const stop = async () => {
    for (const c of children) c.kill('SIGTERM');
    await Promise.all(
      children.map((c) => (c.exitCode !== null ? undefined : new Promise((r) => c.once('exit', r)))),
    );
    for (const s of servers) {
      s.closeAllConnections();
      await new Promise((r) => s.close(r));
    }
    dir.cleanup();
  };
  try {
    const store = join(dir.path, 'store');
    mkdirSync(store);
    const htpasswd = spawnSync('htpasswd', ['-Bbn', 'alice', 's3cret']);
    writeFileSync(join(dir.path, 'htpasswd'), htpasswd.stdout);
    // Token signing key and certificate; a CA and a server certificate for the TLS registry.
    selfSigned(dir.path, 'token', '/CN=civctl-test-token');
    selfSigned(dir.path, 'ca', '/CN=civctl test CA');
    openssl(
      [
        'req',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        'server.key',
        '-out',
        'server.csr',
        '-subj',
        `/CN=${TLS_HOST}`,
      ],
      dir.path,
    );
    writeFileSync(join(dir.path, 'san.ext'), `subjectAltName=DNS:${TLS_HOST}\n`);
    openssl(
      [
        'x509',
        '-req',
        '-in',
        'server.csr',
        '-CA',
        'ca.crt',
        '-CAkey',
        'ca.key',
        '-CAcreateserial',
        '-out',
        'server.crt',
        '-days',
        '2',
        '-extfile',
        'san.ext',
      ],
      dir.path,
    );
    const tokenSrv = tokenServer(
      readFileSync(join(dir.path, 'token.key'), 'utf8'),
      readFileSync(join(dir.path, 'token.crt'), 'utf8'),
    );
    servers.push(tokenSrv);
    const ts = await listen(tokenSrv);
    const token = createHash('sha256').update(`${process.pid} ${dir.path}`).digest('hex').slice(0, 16);
    const headers = `headers: {X-Civctl-Rig: [${token}]}`;
    const http = (name: 'open' | 'basic' | 'token' | 'tls', port: number): string =>
      ({
        open: `http: {addr: 127.0.0.1:${port}, ${headers}}\n`,
        basic: `http: {addr: 127.0.0.1:${port}, ${headers}}\nauth: {htpasswd: {realm: civctl-test, path: ${join(dir.path, 'htpasswd')}}}\n`,
        token: `http: {addr: 127.0.0.1:${port}, ${headers}}\nauth:\n  token: {realm: "http://${ts}/token", service: civctl-test-registry, issuer: civctl-test-issuer, rootcertbundle: ${join(dir.path, 'token.crt')}}\n`,
        tls: `http: {addr: 127.0.0.1:${port}, ${headers}, tls: {certificate: ${join(dir.path, 'server.crt')}, key: ${join(dir.path, 'server.key')}}}\n`,
      })[name];
    /**
     * Starts one registry on a free loopback port. The port is free when chosen, but another
     * process (tests run side by side) can take it before the registry binds it: then it is
     * chosen again.
     */
    const startRegistry = async (name: 'open' | 'basic' | 'token' | 'tls'): Promise<number> => {
      for (let attempt = 1; ; attempt++) {
        const port = await freePort();
        const file = join(dir.path, `${name}.yml`);
        writeFileSync(
          file,
          `version: 0.1\nlog: {level: error, formatter: text}\nstorage: {filesystem: {rootdirectory: ${store}}, delete: {enabled: true}}\n${http(name, port)}`,
        );
        const log = join(dir.path, `${name}.log`);
        writeFileSync(log, '');
        const child = spawn(REGISTRY_BINARY, ['serve', file], { stdio: ['ignore', 'ignore', 'pipe'] });
        child.stderr!.on('data', (c: Buffer) => writeFileSync(log, c, { flag: 'a' }));
        children.push(child);
        const stderrClosed = new Promise((r) => child.stderr!.once('close', r));
        try {
          await waitForRegistry(
            `${name === 'tls' ? 'https' : 'http'}://127.0.0.1:${port}/v2/`,
            log,
            child,
            token,
          );
          return port;
        } catch (err) {
          if (attempt >= 5 || child.exitCode === null) throw err;
          // The registry exited: all of its log is in once its stderr closes.
          await stderrClosed;
          if (!readFileSync(log, 'utf8').includes('address already in use')) throw err;
        }
      }
    };
    const ports = {
      open: await startRegistry('open'),
      basic: await startRegistry('basic'),
      token: await startRegistry('token'),
      tls: await startRegistry('tls'),
    };
    const open = `127.0.0.1:${ports.open}`;
    const singleManifest = await imageManifest(open, 'demo/single', 'amd64', false);
    await pushManifest(open, 'demo/single', 'v1', OCI_MANIFEST, singleManifest);
    const single: Image = {
      name: 'demo/single',
      digest: sha256(singleManifest),
      mediaType: OCI_MANIFEST,
      size: singleManifest.length,
    };
    const multi = await pushIndex(open, 'demo/multi', 'v1', false);
    const priv = { ...(await pushIndex(open, 'private/app', 'v1', false)), name: 'private/app' };
    const docker = await pushIndex(open, 'demo/multi-docker', 'v1', true);
    const signed = { ...(await pushIndex(open, 'demo/signed', 'v1', false)), name: 'demo/signed' };
    selfSigned(dir.path, 'signer', '/C=US/ST=WA/O=civctl test/CN=civctl signer', 'DER');
    await pushSignature(open, 'demo/signed', signed, readFileSync(join(dir.path, 'signer.der')));
    const nodigest = proxy(open, 'nodigest');
    const nohead = proxy(open, 'nohead');
    servers.push(nodigest, nohead);
    const lookup: LookupFunction = ((hostname: string, options: unknown, callback: unknown) => {
      const cb = (typeof options === 'function' ? options : callback) as (...a: unknown[]) => void;
      const all = typeof options === 'object' && options !== null && (options as { all?: boolean }).all;
      if (hostname === TLS_HOST)
        return all ? cb(null, [{ address: '127.0.0.1', family: 4 }]) : cb(null, '127.0.0.1', 4);
      const err = Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
      cb(err);
    }) as LookupFunction;
    return {
      open,
      basic: `127.0.0.1:${ports.basic}`,
      token: `127.0.0.1:${ports.token}`,
      tls: `${TLS_HOST}:${ports.tls}`,
      nodigest: await listen(nodigest),
      nohead: await listen(nohead),
      caFile: join(dir.path, 'ca.crt'),
      lookup,
      images: { single, multi, private: priv, docker, signed },
      signerSubject: 'CN=civctl signer,O=civctl test,ST=WA,C=US',
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
