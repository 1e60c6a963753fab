import { expect, test } from '@jupyterlab/galata';

import { KitlabPanel } from './kitlab-panel';
import { useRegistry } from './registry-server';

/*
 * A registry with a self-signed certificate (Debian's docker-registry serving HTTPS with a
 * certificate made here by openssl): listed under the "insecureRegistries" setting, pack & push and
 * the remote tag list and pull reach it without verifying its certificate, as kit's --tls-verify=false.
 * Needs: PUT /kitlab/kitfile, POST /jobs (pack-push, tlsVerify), GET /remote.
 */
test.use({ autoGoto: false });

const registry = useRegistry({ selfSignedTls: true });

test('a registry listed as insecure is pushed to and browsed without verifying its certificate', async ({
  page,
  request
}, testInfo) => {
  test.setTimeout(120000);
  const host = registry.host;
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
  await panel.packageFolder('demo');
  await expect(panel.kitfileStatus).toHaveText('Saved', { timeout: 15000 });

  const job = await panel.packPush(
    { registry: host, repository: 'org/churn', tag: 'tls' },
    async dialog => {
      // A loopback registry is taken to be plain HTTP, unless the settings list it as self-signed.
      await expect(dialog.locator('input[name="plainHttp"]')).not.toBeChecked();
    }
  );
  await panel.expectJobSucceeded(job);

  await panel.expectRemoteTag(`${host}/org/churn`, 'tls');
  await panel.screenshot('insecure-registry-tags');

  // Pulling it back: the Pull dialog does not assume plain HTTP for it either.
  const pull = await panel.openPullDialog(`${host}/org/churn:tls`);
  await expect(pull.locator('input[name="plainHttp"]')).not.toBeChecked();
  await pull.getByRole('button', { name: 'Pull and open' }).click();
  await expect(
    page.locator('.lm-TabBar-tab', { hasText: '.ipynb' })
  ).toBeVisible({ timeout: 60000 });
  await expect(page.locator('.jp-Notebook')).toContainText(
    `${host}/org/churn:tls`
  );
  await panel.screenshot('insecure-registry-pulled');
});
