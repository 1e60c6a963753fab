import { expect, test } from '@jupyterlab/galata';
import { ChildProcess, execFileSync, spawn } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';

import { KitlabPanel } from './kitlab-panel';

/*
 * A registry with a self-signed certificate (Debian's docker-registry serving HTTPS with a
 * certificate made here by openssl): listed under the "insecureRegistries" setting, pack & push and
 * the remote tag list reach it without verifying its certificate, as kit's --tls-verify=false.
 * Needs: PUT /kitlab/kitfile, POST /jobs (pack-push, tlsVerify), GET /remote.
 */
test.use({ autoGoto: false });

let registry: ChildProcess | null = null;
let host = '';

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

test.beforeAll(async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kitlab-ui-tls-'));
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
  const port = await freePort();
  host = `127.0.0.1:${port}`;
  const config = [
    'version: 0.1',
    'log: {level: warn}',
    'storage:',
    `  filesystem: {rootdirectory: ${path.join(dir, 'data')}}`,
    'http:',
    `  addr: ${host}`,
    '  secret: kitlab-ui-tests',
    `  tls: {certificate: ${cert}, key: ${key}}`
  ].join('\n');
  fs.writeFileSync(path.join(dir, 'config.yml'), config);
  registry = spawn('docker-registry', ['serve', path.join(dir, 'config.yml')], {
    stdio: 'ignore'
  });
  // Up when it answers TLS at all: Node, like the server, rejects the certificate.
  await expect
    .poll(
      async () => {
        try {
          await fetch(`https://${host}/v2/`);
          return 'verified';
        } catch (error) {
          const cause = (error as { cause?: { code?: string } }).cause;
          return cause?.code ?? 'down';
        }
      },
      { timeout: 15000 }
    )
    .toBe('DEPTH_ZERO_SELF_SIGNED_CERT');
});

test.afterAll(() => {
  registry?.kill();
});

test('a registry listed as insecure is pushed to and browsed without verifying its certificate', async ({
  page,
  request
}, testInfo) => {
  test.setTimeout(120000);
  const saved = await request.put('/kitlab/kitfile?path=demo', {
    data: {
      text: 'manifestVersion: 1.0.0\npackage:\n  name: churn\nmodel:\n  path: models/churn.joblib\n'
    }
  });
  expect(saved.ok(), await saved.text()).toBe(true);

  await page.goto();
  // As the Settings Editor does (Galata keeps this test's settings in memory).
  await page.evaluate(async registryHost => {
    const galata = (
      window as unknown as {
        galata: {
          getPlugin(id: string): Promise<{
            set(plugin: string, key: string, value: unknown): Promise<void>;
          }>;
        };
      }
    ).galata;
    const settings = await galata.getPlugin(
      '@jupyterlab/apputils-extension:settings'
    );
    await settings.set('kitlab:plugin', 'insecureRegistries', [registryHost]);
  }, host);
  const panel = new KitlabPanel(page, testInfo);
  await panel.open();
  await page.evaluate(() => {
    const app = (
      window as unknown as {
        jupyterapp: {
          commands: { execute(id: string, args: unknown): Promise<unknown> };
        };
      }
    ).jupyterapp;
    return app.commands.execute('kitlab:package-folder', { path: 'demo' });
  });
  await expect(panel.kitfileStatus).toHaveText('Saved', { timeout: 15000 });

  await panel.root.getByRole('button', { name: 'Pack & push…' }).click();
  const dialog = page.locator('.jp-Dialog');
  await dialog.locator('input[name="registry"]').fill(host);
  await dialog.locator('input[name="repository"]').fill('org/churn');
  await dialog.locator('input[name="tag"]').fill('tls');
  // A loopback registry is assumed to be plain HTTP; this one speaks HTTPS.
  await dialog.locator('input[name="plainHttp"]').uncheck();
  await dialog.getByRole('button', { name: 'Start' }).click();
  await expect(dialog).toHaveCount(0);
  const job = panel.root.locator('.jp-kitlab-job', {
    hasText: `${host}/org/churn:tls`
  });
  await panel.expectJobSucceeded(job.first());

  await panel.showTab('Kits');
  await panel.root
    .locator('input[name="repository"]')
    .fill(`${host}/org/churn`);
  await panel.root.getByRole('button', { name: 'List tags' }).click();
  await expect(panel.root.locator('.jp-kitlab-remote-tags')).toContainText(
    'tls',
    { timeout: 30000 }
  );
  await panel.screenshot('insecure-registry-tags');
});
