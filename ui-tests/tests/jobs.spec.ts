import { expect, test } from '@jupyterlab/galata';

import { KitlabPanel } from './kitlab-panel';

/*
 * Jobs are server resources: they run without the page and the list is read back after a reload.
 * Needs: PUT /kitlab/kitfile, POST /jobs (pack), GET /jobs.
 */
test.use({ autoGoto: false });

test('a job started without the page is listed after a reload', async ({
  page,
  request
}, testInfo) => {
  const saved = await request.put('/kitlab/kitfile?path=demo', {
    data: {
      kitfile: {
        manifestVersion: '1.0.0',
        package: { name: 'churn' },
        model: { name: 'churn', path: 'models/churn.joblib' }
      }
    }
  });
  expect(saved.ok(), await saved.text()).toBe(true);
  const created = await request.post('/kitlab/jobs', {
    data: {
      kind: 'pack',
      params: { path: 'demo', reference: 'offline-demo:v1' }
    }
  });
  expect(created.status()).toBe(202);
  const { id } = (await created.json()) as { id: string };

  await page.goto();
  const panel = new KitlabPanel(page, testInfo);
  await panel.open();
  await panel.showTab('Jobs');
  const row = panel.root.locator(`.jp-kitlab-job[data-job-id="${id}"]`);
  await expect(row).toContainText('offline-demo:v1');
  await panel.expectJobSucceeded(row);

  await page.reload();
  await panel.open();
  await panel.showTab('Jobs');
  await expect(row.getByTestId('kitlab-job-state')).toHaveText('succeeded');
  await panel.screenshot('jobs-after-reload');
});

test('the Kitfile being edited is reopened after a reload', async ({
  page
}, testInfo) => {
  await page.goto();
  const panel = new KitlabPanel(page, testInfo);
  await panel.open();
  // JupyterLab writes its state database to the workspace shortly after a change.
  const workspaceSaved = page.waitForRequest(
    request =>
      request.url().includes('/api/workspaces') && request.method() === 'PUT'
  );
  await panel.scanFolder('demo');
  await workspaceSaved;
  // The restored Kitfile editor takes the place of the Launcher Galata waits for by default.
  await page.reload({ waitForIsReady: false });
  await page.locator('#jupyterlab-splash').waitFor({ state: 'detached' });
  // The layout restorer reopens the Kitfile editor, scanned again.
  await expect(panel.editor).toContainText('demo/Kitfile', { timeout: 30000 });
  await expect(panel.entry('models/churn.joblib')).toBeVisible({
    timeout: 30000
  });
  await expect(panel.form).toBeVisible();
});

test('a running pack is cancelled from the Jobs list', async ({
  page,
  request
}, testInfo) => {
  const created = await request.post('/kitlab/jobs', {
    data: { kind: 'pack', params: { path: 'big', reference: 'big:v1' } }
  });
  expect(created.status()).toBe(202);
  const { id } = (await created.json()) as { id: string };

  await page.goto();
  const panel = new KitlabPanel(page, testInfo);
  await panel.open();
  await panel.showTab('Jobs');
  const row = panel.root.locator(`.jp-kitlab-job[data-job-id="${id}"]`);
  await expect(row.getByTestId('kitlab-job-state')).toHaveText('running');
  await panel.screenshot('job-running');
  await row.getByRole('button', { name: 'Cancel' }).click();
  await expect(row.getByTestId('kitlab-job-state')).toHaveText('cancelled', {
    timeout: 5000
  });
  await panel.screenshot('job-cancelled');

  const kits = await (await request.get('/kitlab/kits')).json();
  expect(
    kits.kits.map((k: { repository: string }) => k.repository)
  ).not.toContain('localhost/big');
});
