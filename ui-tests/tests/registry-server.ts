import { expect, test } from '@jupyterlab/galata';
import { ChildProcess, execFileSync, spawn } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';

/** A running Debian docker-registry on a free loopback port. */
export interface IRegistryServer {
  /** `127.0.0.1:<port>` */
  host: string;
  stop(): void;
}

export interface IRegistryOptions {
  /** A user the registry asks for (htpasswd Basic auth). */
  login?: { user: string; password: string };
  /** Serve HTTPS with a self-signed certificate made here (untrusted by everyone). */
  selfSignedTls?: boolean;
  /** Listen on this loopback port (one a server under test was configured with); default: a free one. */
  port?: number;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address() as net.AddressInfo;
      server.close(() => resolve(address.port));
    });
  });
}

/** What `GET /v2/` gives once the registry listens: a status, or the TLS error code. */
async function probe(url: string): Promise<string> {
  try {
    return String((await fetch(url)).status);
  } catch (error) {
    return (error as { cause?: { code?: string } }).cause?.code ?? 'down';
  }
}

/** Start Debian's docker-registry (a real OCI registry), as the tests' registry fixture. */
export async function startRegistry(
  options: IRegistryOptions = {}
): Promise<IRegistryServer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kitlab-ui-registry-'));
  const host = `127.0.0.1:${options.port ?? (await freePort())}`;
  const config = [
    'version: 0.1',
    'log: {level: warn}',
    'storage:',
    `  filesystem: {rootdirectory: ${path.join(dir, 'data')}}`,
    '  delete: {enabled: true}',
    'http:',
    `  addr: ${host}`,
    '  secret: kitlab-ui-tests'
  ];
  let ready = '200';
  if (options.selfSignedTls) {
    const cert = path.join(dir, 'cert.pem');
    const key = path.join(dir, 'key.pem');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
        '-keyout',
        key,
        '-out',
        cert
      ],
      { stdio: 'pipe' }
    );
    config.push(`  tls: {certificate: ${cert}, key: ${key}}`);
    // Node, like the server, rejects the certificate: that rejection means it is up.
    ready = 'DEPTH_ZERO_SELF_SIGNED_CERT';
  }
  if (options.login) {
    const htpasswd = execFileSync('htpasswd', [
      '-Bbn',
      options.login.user,
      options.login.password
    ]).toString();
    fs.writeFileSync(path.join(dir, 'htpasswd'), htpasswd);
    config.push(
      'auth:',
      `  htpasswd: {realm: kitlab-ui, path: ${path.join(dir, 'htpasswd')}}`
    );
    ready = '401';
  }
  fs.writeFileSync(path.join(dir, 'config.yml'), config.join('\n'));
  const registry: ChildProcess = spawn(
    'docker-registry',
    ['serve', path.join(dir, 'config.yml')],
    { stdio: 'ignore' }
  );
  const scheme = options.selfSignedTls ? 'https' : 'http';
  await expect
    .poll(() => probe(`${scheme}://${host}/v2/`), { timeout: 15000 })
    .toBe(ready);
  return {
    host,
    stop: () => {
      registry.kill();
    }
  };
}

/**
 * A registry for the tests of this file (or of the `describe` block it is called in): started before
 * the first of them, stopped after the last. Its host is known once started.
 */
export function useRegistry(options: IRegistryOptions = {}): {
  readonly host: string;
} {
  let registry: IRegistryServer | null = null;
  test.beforeAll(async () => {
    registry = await startRegistry(options);
  });
  test.afterAll(() => {
    registry?.stop();
  });
  return {
    get host(): string {
      expect(registry, 'the registry is started in beforeAll').not.toBeNull();
      return registry!.host;
    }
  };
}
