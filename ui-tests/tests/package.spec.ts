import { expect, test } from '@jupyterlab/galata';

import { KitlabPanel } from './kitlab-panel';

/*
 * The whole Package flow on the generated demo workspace (`demo/` in the server root), once per theme:
 * open the Kitfile editor (drafted from the scan) → edit → invalid value shown on its field → fix →
 * save → layers → pack → job succeeds → kit listed.
 * Needs: GET /scan, GET/PUT /kitlab/kitfile, POST /kitfile/validate, GET /schema, GET /plan,
 * POST /jobs (kind pack), GET /jobs/{id}, GET /kits.
 */
test.use({ autoGoto: false });

for (const theme of ['light', 'dark'] as const) {
  test(`package the demo workspace (${theme} theme)`, async ({
    page,
    request
  }, testInfo) => {
    test.setTimeout(120000);
    // Start from a folder without a Kitfile (other specs write one): the editor drafts one from the
    // scan (a new file, nothing replaced).
    const removed = await request.delete('/api/contents/demo/Kitfile');
    expect([204, 404]).toContain(removed.status());
    await page.goto();
    if (theme === 'dark') {
      await page.theme.setDarkTheme();
    } else {
      await page.theme.setLightTheme();
    }
    const panel = new KitlabPanel(page, testInfo);
    await panel.open();
    const shot = (step: string) => panel.screenshot(`${theme}-${step}`);

    // 1. Scan: the trained model is detected as the main model, with its reasons.
    await panel.scanFolder('demo');
    const model = panel.entry('models/churn.joblib');
    await expect(model).toBeVisible();
    await expect(model).toHaveAttribute('data-kind', 'model');
    await expect(model).toContainText('joblib.dump(model');
    await expect(panel.entry('data/churn.csv')).toHaveAttribute(
      'data-kind',
      'dataset'
    );
    await shot('1-scan');
    if (theme === 'light') {
      await panel.docsScreenshot('scan');
    }

    // 2. Edit a field in the form.
    await expect(panel.form).toBeVisible();
    const version = panel.field('root_package_version');
    await version.fill('1.2.0');
    await expect(version).toHaveValue('1.2.0');
    await shot('2-edit');

    // 3. Bad values get inline messages on their own fields: a license that is not SPDX is a warning
    // (packing still works), a dataset path that does not exist is an error (packing waits for a fix).
    const license = panel.field('root_datasets_0_license');
    await license.fill('not a license!');
    const licenseErrors = panel.fieldErrors('root_datasets_0_license');
    await expect(licenseErrors.first()).toContainText(
      'Warning: not a valid SPDX license',
      {
        timeout: 10000
      }
    );
    const path = panel.field('root_datasets_0_path');
    await path.fill('data/missing.csv');
    const pathErrors = panel.fieldErrors('root_datasets_0_path');
    await expect(pathErrors.first()).toContainText('does not exist', {
      timeout: 10000
    });
    await expect(
      panel.editor.getByRole('button', { name: 'Pack…', exact: true })
    ).toHaveAttribute('aria-disabled', 'true');
    await path.scrollIntoViewIfNeeded();
    await shot('3-invalid');
    if (theme === 'dark') {
      await panel.docsScreenshot('form-dark');
    }
    await path.fill('data/churn.csv');
    await license.fill('CC-BY-4.0');
    await expect(pathErrors).toHaveCount(0, { timeout: 10000 });
    await expect(licenseErrors).toHaveCount(0);

    // 4. Save: the Kitfile is written; the status says so.
    await panel.save();
    await shot('4-saved');

    // 5. Plan: the layers that will be written.
    await panel.editor
      .getByRole('button', { name: 'Show what will be packed' })
      .click();
    await expect(panel.editor.getByTestId('kitlab-plan')).toContainText(
      'models/churn.joblib'
    );
    await shot('5-plan');

    // 6. Pack into the local store; the job runs to 100 % and succeeds.
    const tag = `v1-${theme}`;
    await panel.pack('churn', tag);
    await expect(panel.root.getByRole('tab', { name: 'Jobs' })).toHaveAttribute(
      'aria-selected',
      'true'
    );
    const job = panel.latestJob;
    await expect(job).toContainText(`churn:${tag}`);
    await panel.expectJobSucceeded(job);
    await expect(job.getByTestId('kitlab-job-percent')).toHaveText('100 %');
    await shot('6-job');
    if (theme === 'light') {
      await panel.docsScreenshot('job');
    }

    // 7. The kit is in the Kits list with its tag.
    await panel.showTab('Kits');
    const kit = panel.kit('localhost/churn');
    await expect(kit).toBeVisible({ timeout: 10000 });
    await expect(kit.locator(`[data-tag="${tag}"]`)).toBeVisible();
    await shot('7-kits');
  });
}
