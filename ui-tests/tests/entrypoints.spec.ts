import { expect, test } from '@jupyterlab/galata';

import { KitlabPanel } from './kitlab-panel';

/*
 * The ways into the Package flow besides the panel, and the other panel tabs.
 * Needs: GET /scan, GET /kitlab/kitfile, GET /schema (package flow), GET /registries, GET /kits.
 */
test.use({ autoGoto: false });

test('the notebook toolbar packages the notebook folder', async ({
  page
}, testInfo) => {
  await page.goto();
  await page.filebrowser.openDirectory('demo');
  await page.filebrowser.open('train.ipynb');
  const button = page.locator('.jp-kitlab-toolbar-package');
  await expect(button).toBeVisible();
  await button.click();
  // The folder's Kitfile opens in the main-area editor, scanned.
  const panel = new KitlabPanel(page, testInfo);
  await expect(panel.editor).toBeVisible({ timeout: 30000 });
  await expect(panel.editor).toContainText('demo/Kitfile');
  await expect(panel.entry('models/churn.joblib')).toBeVisible({
    timeout: 30000
  });
  await panel.screenshot('notebook-toolbar');
});

test('folders in the file browser offer Package as ModelKit', async ({
  page
}, testInfo) => {
  await page.goto();
  await page.sidebar.openTab('filebrowser');
  // Exactly `demo` (other specs make `compare-demo`, `lineage-demo`… in the same root).
  const folder = page.locator('.jp-DirListing-item[data-isdir="true"]', {
    has: page.locator('.jp-DirListing-itemText', { hasText: /^demo$/ })
  });
  await folder.click({ button: 'right' });
  const item = page.getByRole('menuitem', { name: 'Package as ModelKit' });
  await expect(item).toBeVisible();
  await new KitlabPanel(page, testInfo).screenshot('context-menu');
  await item.click();
  const panel = new KitlabPanel(page, testInfo);
  await expect(panel.scanReport).toBeVisible({ timeout: 30000 });

  // A Kitfile offers it too, and opens in the Kitfile editor.
  await page.filebrowser.openDirectory('demo');
  await page
    .locator('.jp-DirListing-item[data-file-type="kitfile"]')
    .click({ button: 'right' });
  await expect(item).toBeVisible();
  await item.click();
  await expect(panel.form).toBeVisible({ timeout: 30000 });
});

test('every action is in the command palette', async ({ page }) => {
  await page.goto();
  const labels = await page.evaluate(() => {
    const app = (
      window as unknown as {
        jupyterapp: { commands: { listCommands(): string[] } };
      }
    ).jupyterapp;
    return app.commands.listCommands().filter(id => id.startsWith('kitlab:'));
  });
  for (const id of [
    'kitlab:open-panel',
    'kitlab:package-folder',
    'kitlab:pack',
    'kitlab:pack-push',
    'kitlab:pull',
    'kitlab:login',
    'kitlab:show-kits',
    'kitlab:show-jobs'
  ]) {
    expect(labels).toContain(id);
  }
});

test('the pull dialog names the destination after the kit', async ({
  page
}, testInfo) => {
  await page.goto();
  const panel = new KitlabPanel(page, testInfo);
  const dialog = await panel.openPullDialog('127.0.0.1:5000/org/churn:v1');
  await expect(dialog.locator('input[name="destination"]')).toHaveValue(
    'kits/churn'
  );
  await expect(dialog.locator('input[name="plainHttp"]')).toBeChecked();
  await panel.screenshot('pull-dialog');
  await dialog.getByRole('button', { name: 'Cancel' }).click();
});

test('the registries tab lists logins and offers a login without echoing passwords', async ({
  page
}, testInfo) => {
  const panel = await KitlabPanel.load(page, testInfo, { tab: 'Registries' });
  await expect(
    panel.root.getByText('Not logged in to any registry.')
  ).toBeVisible({ timeout: 10000 });
  await panel.root.getByRole('button', { name: 'Log in…' }).click();
  const dialog = page.locator('.jp-Dialog');
  await expect(dialog.locator('input[name="password"]')).toHaveAttribute(
    'type',
    'password'
  );
  await panel.screenshot('login-dialog');
  await dialog.getByRole('button', { name: 'Cancel' }).click();
});
