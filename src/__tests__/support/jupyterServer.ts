/**
 * A real `jupyter server` with kitlab, for the API client and model tests: token authentication on,
 * a temporary root, and kit's home, Jupyter's dirs and Docker's config under a temporary folder, so
 * nothing of the developer's is read or written. The server comes from the project's `.venv` (made by
 * `make test`); `KITLAB_JUPYTER` names another `jupyter` executable.
 */
import { spawn, ChildProcess } from 'child_process';
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';

import { PageConfig } from '@jupyterlab/coreutils';

const REPO = path.resolve(__dirname, '..', '..', '..');
const JUPYTER =
  process.env.KITLAB_JUPYTER ?? path.join(REPO, '.venv', 'bin', 'jupyter');

export interface IRunningServer {
  url: string;
  token: string;
  /** The server's root: API paths are relative to it. */
  root: string;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

async function waitUntilUp(
  url: string,
  token: string,
  child: ChildProcess,
  log: string
): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      const response = await fetch(`${url}/kitlab/version`, {
        headers: { Authorization: `token ${token}` }
      });
      if (response.ok) {
        return;
      }
    } catch {
      // Not listening yet.
    }
    if (child.exitCode !== null || Date.now() > deadline) {
      throw new Error(
        `jupyter server did not start:\n${fs.readFileSync(log, 'utf8').slice(-3000)}`
      );
    }
    await new Promise(resolve => setTimeout(resolve, 100));
  }
}

/** Start a server and point this test file's `ServerConnection` settings at it. */
export async function startJupyterServer(): Promise<IRunningServer> {
  if (!fs.existsSync(JUPYTER)) {
    throw new Error(
      `${JUPYTER} is missing: run \`make test\` once (or set KITLAB_JUPYTER)`
    );
  }
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'kitlab-jest-'));
  const root = path.join(work, 'root');
  fs.mkdirSync(root);
  const port = await freePort();
  const token = randomBytes(16).toString('hex');
  const log = path.join(work, 'server.log');
  const logFd = fs.openSync(log, 'w'); // a file, not a pipe: an unread pipe blocks the server
  const child = spawn(
    JUPYTER,
    [
      'server',
      '--no-browser',
      `--port=${port}`,
      '--ip=127.0.0.1',
      `--IdentityProvider.token=${token}`,
      `--ServerApp.root_dir=${root}`,
      '--ServerApp.allow_unauthenticated_access=False',
      '--ServerApp.port_retries=0',
      '--allow-root'
    ],
    {
      env: {
        ...process.env,
        KITOPS_HOME: path.join(work, 'kitops-home'),
        DOCKER_CONFIG: path.join(work, 'docker'),
        JUPYTER_DATA_DIR: path.join(work, 'jdata'),
        JUPYTER_RUNTIME_DIR: path.join(work, 'jruntime'),
        JUPYTER_CONFIG_DIR: path.join(work, 'jconfig')
      },
      stdio: ['ignore', 'ignore', logFd]
    }
  );
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null) {
      const exited = new Promise(resolve => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    fs.closeSync(logFd);
    fs.rmSync(work, { recursive: true, force: true });
  };
  try {
    await waitUntilUp(url, token, child, log);
  } catch (error) {
    await stop();
    throw error;
  }
  PageConfig.setOption('baseUrl', `${url}/`);
  PageConfig.setOption('token', token);
  return { url, token, root, stop };
}

/** Write `files` (relative path → content) under `folder`, creating directories. */
export function writeTree(
  folder: string,
  files: Record<string, string | Buffer>
): void {
  for (const [relative, content] of Object.entries(files)) {
    const target = path.join(folder, relative);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, content);
  }
}

/**
 * A small but real safetensors file: an 8-byte little-endian header length, the JSON header, then
 * the tensor bytes it describes (one float32 vector).
 */
export function safetensors(values: number[]): Buffer {
  const data = Buffer.alloc(values.length * 4);
  values.forEach((value, i) => data.writeFloatLE(value, i * 4));
  const header = Buffer.from(
    JSON.stringify({
      weight: {
        dtype: 'F32',
        shape: [values.length],
        data_offsets: [0, data.length]
      }
    })
  );
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(header.length));
  return Buffer.concat([length, header, data]);
}

/**
 * The server a test file talks to: started before its tests (with `files` written under its root,
 * as `writeTree` takes them) and stopped after them. `root` is there once the tests run.
 */
export function useJupyterServer(files: Record<string, string | Buffer>): {
  readonly root: string;
} {
  // Starting a Jupyter server takes seconds on a busy machine, a pack more.
  jest.setTimeout(60_000);
  let server: IRunningServer | undefined;
  beforeAll(async () => {
    server = await startJupyterServer();
    writeTree(server.root, files);
  });
  afterAll(async () => {
    await server?.stop();
  });
  return {
    get root(): string {
      if (server === undefined) {
        throw new Error('the Jupyter server has not started');
      }
      return server.root;
    }
  };
}
