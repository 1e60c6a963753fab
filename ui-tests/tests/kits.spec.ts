import { expect, test } from '@jupyterlab/galata';
import { APIRequestContext } from '@playwright/test';

import { KitlabPanel, lineBreaks, runJob, setTheme } from './kitlab-panel';

/*
 * A kit in the local store, opened in a new notebook from the Kits list.
 * Needs: PUT /kitlab/kitfile, POST /jobs (pack, and unpack with `notebook: true` returning
 * `result.notebook`), GET /jobs/{id}, GET /kits.
 */
test.use({ autoGoto: false });

/** Pack `demo/` as `repository:tag` through the REST API (the UI flow is package.spec.ts). */
async function packDemo(
  request: APIRequestContext,
  reference: string
): Promise<void> {
  const saved = await request.put('/kitlab/kitfile?path=demo', {
    data: {
      kitfile: {
        manifestVersion: '1.0.0',
        package: { name: 'churn', version: '1.0.0' },
        model: {
          name: 'churn',
          path: 'models/churn.joblib',
          framework: 'scikit-learn'
        },
        datasets: [{ name: 'churn', path: 'data/churn.csv' }],
        code: [{ path: 'train.ipynb' }],
        docs: [{ path: 'README.md' }]
      }
    }
  });
  expect(saved.ok(), await saved.text()).toBe(true);
  await runJob(request, 'pack', { path: 'demo', reference });
}

test('open a kit from the Kits list in a new notebook', async ({
  page,
  request
}, testInfo) => {
  test.setTimeout(120000);
  await packDemo(request, 'notebook-demo:v1');
  const panel = await KitlabPanel.load(page, testInfo, { tab: 'Kits' });
  const kit = panel.kit('localhost/notebook-demo');
  await expect(kit).toBeVisible({ timeout: 10000 });
  // Dated by when it came into the store (kit writes no creation date).
  await expect(kit.locator('.jp-kitlab-kit-date')).toContainText(
    /in the store since (now|\d+ (second|minute)s? ago)/
  );
  await panel.screenshot('kits-list');

  await kit.getByRole('button', { name: 'Open in notebook' }).click();
  const dialog = page.locator('.jp-Dialog');
  await expect(dialog.locator('input[name="reference"]')).toHaveValue(
    'notebook-demo:v1'
  );
  await expect(dialog.locator('input[name="destination"]')).toHaveValue(
    /notebook-demo$/
  );
  await panel.screenshot('open-in-notebook-dialog');
  // Named for what it does: the kit is in the store, nothing is pulled.
  await expect(dialog.locator('.jp-Dialog-header')).toHaveText(
    'Open ModelKit in a notebook'
  );
  await dialog.getByRole('button', { name: 'Open in notebook' }).click();

  await panel.expectJobSucceeded(panel.latestJob);
  // The unpacked kit's new notebook opens in the main area.
  await expect(page.locator('.jp-MainAreaWidget .jp-Notebook')).toBeVisible({
    timeout: 30000
  });
  await expect(
    page.locator('.lm-DockPanel-tabBar .lm-TabBar-tab.lm-mod-current')
  ).toContainText('.ipynb');
  await panel.screenshot('opened-notebook');
  await panel.docsScreenshot('pulled-notebook');
});

test('tag a kit, then remove the new tag', async ({
  page,
  request
}, testInfo) => {
  test.setTimeout(120000);
  await packDemo(request, 'tag-demo:v1');
  const panel = await KitlabPanel.load(page, testInfo, { tab: 'Kits' });
  const kit = panel.kit('localhost/tag-demo');
  await expect(kit).toBeVisible({ timeout: 10000 });

  await kit.getByRole('button', { name: 'Tag', exact: true }).click();
  const dialog = page.locator('.jp-Dialog');
  await dialog.locator('input').fill('v2');
  await dialog.getByRole('button', { name: 'Tag', exact: true }).click();
  await expect(kit.locator('[data-tag="v2"]')).toBeVisible({ timeout: 10000 });
  await expect(kit.locator('[data-tag="v1"]')).toBeVisible();
  await panel.screenshot('kit-tagged');

  await kit.locator('[data-tag="v2"]').click();
  await expect(kit.locator('[data-tag="v2"]')).toHaveAttribute(
    'aria-checked',
    'true'
  );
  await kit.getByRole('button', { name: /Remove tag-demo:v2/ }).click();
  await page
    .locator('.jp-Dialog')
    .getByRole('button', { name: 'Remove' })
    .click();
  await expect(kit.locator('[data-tag="v2"]')).toHaveCount(0, {
    timeout: 10000
  });
  await expect(kit.locator('[data-tag="v1"]')).toBeVisible();
});

test('the Push dialog shows an example registry as a placeholder, not as a value', async ({
  page,
  request
}, testInfo) => {
  test.setTimeout(120000);
  await packDemo(request, 'push-demo:v1');
  const panel = await KitlabPanel.load(page, testInfo, { tab: 'Kits' });
  const kit = panel.kit('localhost/push-demo');
  await expect(kit).toBeVisible({ timeout: 10000 });

  await kit.getByRole('button', { name: 'Push', exact: true }).click();
  const dialog = page.locator('.jp-Dialog');
  const input = dialog.locator('input[name="destination"]');
  // No default registry in the settings: nothing is filled in for the user to push to by mistake.
  await expect(input).toHaveValue('');
  await expect(input).toHaveAttribute(
    'placeholder',
    'e.g. ghcr.io/push-demo:v1'
  );
  await panel.screenshot('push-placeholder');
  // The destination is checked as it is typed (as Pack & push's fields are): Push waits for a valid one.
  const push = dialog.getByRole('button', { name: 'Push', exact: true });
  await expect(push).toBeDisabled();
  await input.fill('org/push-demo:v1');
  await expect(panel.fieldProblem('destination')).toContainText(
    'Pushing needs a registry'
  );
  await input.fill('ghcr.io/org/Push-Demo:v1');
  await expect(panel.fieldProblem('destination')).toHaveText(
    'A repository must be lower-case.'
  );
  await expect(push).toBeDisabled();
  await input.fill('ghcr.io/org/push-demo:v1');
  await expect(panel.fieldProblem('destination')).toHaveCount(0);
  await expect(push).toBeEnabled();
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await expect(dialog).toHaveCount(0);
  // Cancel started nothing (other specs' pushes share this server's job list).
  const jobs = (await (await request.get('/kitlab/jobs')).json()) as {
    jobs: { kind: string; params: { reference?: string } }[];
  };
  expect(
    jobs.jobs.filter(
      job => job.kind === 'push' && job.params.reference === 'push-demo:v1'
    )
  ).toHaveLength(0);
});

for (const theme of ['light', 'dark'] as const) {
  test(`kit cards line up at the panel's default width (${theme})`, async ({
    page,
    request
  }, testInfo) => {
    test.setTimeout(120000);
    // Names of differing lengths, one longer than the panel is wide and without a place to break,
    // one of several short path segments (as a registry's team/project/name).
    for (const name of [
      'cards-a',
      'cards-churn-model',
      'cards-customer-lifetime-value-regression-with-a-long-name',
      'cards-team/churnmodels/customerlifetime/regressions',
      'cards-x'
    ]) {
      await packDemo(request, `${name}:v1`);
    }
    // Tall enough to show every card at once.
    await page.setViewportSize({ width: 1024, height: 1300 });
    await page.goto();
    await setTheme(page, theme);
    const panel = new KitlabPanel(page, testInfo);
    // The panel at its default width (open() widens it).
    await panel.tab.click();
    await expect(panel.root).toBeVisible();
    await panel.showTab('Kits');
    const cards = panel.root.locator(
      '.jp-kitlab-kit[data-repository^="localhost/cards-"]'
    );
    await expect(cards).toHaveCount(5, { timeout: 10000 });
    // Every card lays out its actions the same way, in three rows of two, inside the card; the size
    // stays on one line beside any name.
    const layouts = await cards.evaluateAll(nodes =>
      nodes.map(card => {
        const box = card.getBoundingClientRect();
        const actions = card.querySelector('.jp-kitlab-kit-actions')!;
        const top = actions.getBoundingClientRect().top;
        return {
          buttons: Array.from(actions.children).map(button => {
            const edge = button.getBoundingClientRect();
            return {
              left: Math.round(edge.left - box.left),
              top: Math.round(edge.top - top),
              inside: edge.right <= box.right
            };
          }),
          size: Math.round(
            card
              .querySelector('.jp-kitlab-kit-head > .jp-kitlab-muted')!
              .getBoundingClientRect().height
          )
        };
      })
    );
    for (const layout of layouts) {
      expect(layout).toEqual(layouts[0]);
    }
    expect(layouts[0].buttons).toHaveLength(6);
    expect(new Set(layouts[0].buttons.map(button => button.top)).size).toBe(3);
    expect(new Set(layouts[0].buttons.map(button => button.left)).size).toBe(2);
    expect(layouts[0].buttons.every(button => button.inside)).toBe(true);
    expect(
      await panel.root.evaluate(root => root.scrollWidth - root.clientWidth)
    ).toBe(0);
    await panel.screenshot(`kits-cards-${theme}`);
    // The long reference wraps between its path segments, never inside one: each fits the width.
    const segmented = panel
      .kit('localhost/cards-team/churnmodels/customerlifetime/regressions')
      .locator('.jp-kitlab-kit-name');
    const breaks = await lineBreaks(segmented);
    expect(breaks.length).toBeGreaterThan(0);
    for (const { before } of breaks) {
      expect(['/', ':', '@', '-']).toContain(before);
    }
  });
}
