import { expect, galata } from '@jupyterlab/galata';
import { test } from '@playwright/test';
import * as fs from 'fs';
import * as path from 'path';

import { KitlabPanel } from '../tests/kitlab-panel';
import { IRegistryServer, startRegistry } from '../tests/registry-server';

/*
 * kitlab as teams meet it: behind a real JupyterHub (jupyterhub_config.py, started by hub.config.js)
 * that spawns a single-user JupyterLab per user. alice logs in on the hub's login page, lands on
 * /user/alice/lab, and drives the panel there: scan her demo workspace, pack it into her own store,
 * then pack & push it to a team registry (Debian's docker-registry, started here). Every request goes
 * through the hub's proxy and is authenticated by the hub's cookie, not by a token in the URL.
 */
const USER = 'alice';

let registry: IRegistryServer | null = null;

test.beforeAll(async () => {
  registry = await startRegistry({
    port: Number(process.env.KITLAB_HUB_REGISTRY_PORT)
  });
});

test.afterAll(() => {
  registry?.stop();
});

test('log in through JupyterHub, scan, pack and push from /user/<name>/lab', async ({
  page,
  baseURL
}, testInfo) => {
  test.setTimeout(180000);
  const host = registry!.host;

  // Without a hub session, alice's server URL sends the browser to the hub's login page.
  await page.goto(`/user/${USER}/lab`);
  await expect(page).toHaveURL(/\/hub\/login/);

  // Log in as a user does, from the hub's front page.
  await page.goto('/hub/login');
  await page.locator('#username_input').fill(USER);
  await page.locator('#password_input').fill(process.env.KITLAB_HUB_PASSWORD!);
  await page.locator('#login_submit').click();

  // The hub spawns alice's server and sends her to it.
  await page.waitForURL(new RegExp(`/user/${USER}/lab`), { timeout: 90000 });
  await page.locator('#jupyterlab-splash').waitFor({ state: 'detached' });
  const lab = galata.addHelpersToPage(
    page,
    `${baseURL}/user/${USER}`,
    async () => undefined,
    '/lab'
  );
  const panel = new KitlabPanel(lab, testInfo);
  // The ModelKit tab of the left sidebar, as she finds it (by its name).
  await page
    .getByRole('tablist', { name: 'main sidebar' })
    .getByRole('tab', { name: 'ModelKit' })
    .click({ timeout: 30000 });
  await panel.open();
  // The panel names her own store: the spawner put it under her home (KITOPS_HOME).
  await expect(panel.root).toContainText(`home/${USER}/.kitops/storage`);

  // Scan: her folder's Kitfile editor opens in the main area, with the model the notebook trained.
  await panel.scanFolder('demo');
  const model = panel.entry('models/churn.joblib');
  await expect(model).toHaveAttribute('data-kind', 'model');
  await expect(panel.form).toBeVisible();
  await panel.screenshot('hub-scan');

  // Pack into her store: the kit lands there, on disk under her home.
  await panel.pack('churn', 'v1');
  await panel.showTab('Jobs');
  await panel.expectJobSucceeded(panel.latestJob);
  await panel.showTab('Kits');
  await expect(panel.kit('localhost/churn')).toBeVisible({ timeout: 10000 });
  const store = path.join(
    process.env.KITLAB_HUB_DIR!,
    'home',
    USER,
    '.kitops',
    'storage'
  );
  expect(fs.existsSync(path.join(store, 'index.json'))).toBe(true);

  // Pack & push to the team registry (plain HTTP: it is on loopback).
  await panel.editor.getByRole('button', { name: 'Pack & push…' }).click();
  const dialog = page.locator('.jp-Dialog');
  await expect(dialog.locator('input[name="push"]')).toBeChecked();
  await dialog.locator('input[name="registry"]').fill(host);
  await dialog.locator('input[name="repository"]').fill('team/churn');
  await dialog.locator('input[name="tag"]').fill('v1');
  await expect(dialog.locator('input[name="plainHttp"]')).toBeChecked();
  await dialog.getByRole('button', { name: 'Start' }).click();
  await expect(dialog).toHaveCount(0);
  await panel.showTab('Jobs');
  const push = panel.root.locator('.jp-kitlab-job', {
    hasText: `${host}/team/churn:v1`
  });
  await panel.expectJobSucceeded(push.first());
  await panel.screenshot('hub-pushed');
  await panel.docsScreenshot('hub');

  // The registry itself has the kit: where the team pulls it from.
  const tags = await fetch(`http://${host}/v2/team/churn/tags/list`);
  expect(tags.status).toBe(200);
  expect((await tags.json()).tags).toContain('v1');

  // The hub's servers allow only the team registry (Kitlab.allowed_registries): it is browsed from
  // the Kits tab, any other is refused with the allowed one named.
  await panel.expectRemoteTag(`${host}/team/churn`, 'v1');
  await panel.root
    .locator('input[name="repository"]')
    .fill('127.0.0.1:1/team/churn');
  await panel.root.getByRole('button', { name: 'List tags' }).click();
  await expect(page.getByText(`allowed: ${host}`)).toBeVisible({
    timeout: 10000
  });
  await panel.screenshot('hub-not-allowed');
});
