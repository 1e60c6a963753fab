import { expect, test } from '@jupyterlab/galata';

import { KitlabPanel } from './kitlab-panel';

test.use({ autoGoto: false });

test('the frontend extension activates once', async ({ page }) => {
  const logs: string[] = [];
  page.on('console', message => logs.push(message.text()));
  await page.goto();
  await expect
    .poll(
      () =>
        logs.filter(line =>
          line.includes('kitlab: frontend extension activated')
        ).length
    )
    .toBe(1);
});

test('the ModelKit panel shows the server version and the shared store', async ({
  page
}, testInfo) => {
  await page.goto();
  const panel = new KitlabPanel(page, testInfo);
  await expect(panel.tab).toBeVisible();
  await panel.open();
  await expect(panel.root.getByTestId('kitlab-server-version')).toHaveText(
    '0.1.0'
  );
  await expect(panel.root.getByTestId('kitlab-store')).toContainText(
    '/storage'
  );
  await expect(panel.root.getByRole('alert')).toHaveCount(0);
  await panel.screenshot('panel');
});
