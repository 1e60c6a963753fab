import { expect, test } from '@jupyterlab/galata';
import { APIRequestContext } from '@playwright/test';

import { KitlabPanel, runJob } from './kitlab-panel';

/*
 * Pack a CNCF ModelPack from the Pack dialog, then "Compare with…" on the Kits tab: what changed from
 * the classic kit packed before.
 * Needs: PUT /api/contents, PUT /kitlab/kitfile, POST /jobs (pack with useModelPack), GET /kits,
 * GET /kits/{ref}, GET /diff.
 */
test.use({ autoGoto: false });

const FOLDER = 'compare-demo';

async function put(
  request: APIRequestContext,
  path: string,
  data: Record<string, unknown>
): Promise<void> {
  const response = await request.put(path, { data });
  expect(response.ok(), await response.text()).toBe(true);
}

/** A small project of our own: a model file, a dataset and a Kitfile (version `version`). */
async function writeProject(
  request: APIRequestContext,
  model: string,
  version: string
): Promise<void> {
  await put(request, `/api/contents/${FOLDER}`, { type: 'directory' });
  await put(request, `/api/contents/${FOLDER}/data`, { type: 'directory' });
  for (const [name, content] of [
    ['model.bin', model],
    ['data/train.csv', 'x,y\n1,2\n']
  ]) {
    await put(request, `/api/contents/${FOLDER}/${name}`, {
      type: 'file',
      format: 'text',
      content
    });
  }
  await put(request, `/kitlab/kitfile?path=${FOLDER}`, {
    kitfile: {
      manifestVersion: '1.0.0',
      package: { name: 'compare-demo', version },
      model: { name: 'net', path: 'model.bin' },
      datasets: [{ name: 'train', path: 'data/train.csv' }]
    }
  });
}

test('pack a ModelPack, then compare it with the kit packed before', async ({
  page,
  request
}, testInfo) => {
  test.setTimeout(180000);
  await writeProject(request, 'weights v1', '1.0.0');
  await runJob(request, 'pack', { path: FOLDER, reference: 'compare:v1' });
  await writeProject(request, 'weights v2, retrained', '2.0.0');

  const panel = await KitlabPanel.load(page, testInfo);
  await panel.packageFolder(FOLDER);
  const dialog = await panel.openPackDialog(false, {
    registry: '',
    repository: 'compare',
    tag: 'v2'
  });
  await dialog.getByLabel(/CNCF ModelPack format/).check();
  await panel.screenshot('pack-dialog-modelpack');
  await panel.start(dialog);
  await panel.showTab('Jobs');
  await panel.expectJobSucceeded(panel.latestJob);
  const detail = (await (
    await request.get('/kitlab/kits/compare:v2')
  ).json()) as { manifest: { artifactType?: string } };
  expect(detail.manifest.artifactType).toBe(
    'application/vnd.cncf.model.manifest.v1+json'
  );

  await panel.showTab('Kits');
  const kit = panel.kit('localhost/compare');
  await expect(kit.first()).toBeVisible({ timeout: 10000 });
  const v2 = kit.filter({ has: page.locator('[data-tag="v2"]') });
  await v2.getByRole('button', { name: 'Compare with…' }).click();
  const ask = page.locator('.jp-Dialog');
  await expect(ask.locator('select[name="local"]')).toHaveValue('compare:v1');
  await panel.screenshot('compare-ask');
  await ask.getByRole('button', { name: 'Compare' }).click();

  const shown = page.getByTestId('kitlab-kit-diff');
  await expect(shown).toBeVisible({ timeout: 30000 });
  await expect(shown).toContainText('1 changed, 1 unchanged');
  await expect(shown.locator('tr.jp-kitlab-kitdiff-changed')).toContainText([
    'model.bin',
    'package.version'
  ]);
  await expect(shown.locator('tr.jp-kitlab-kitdiff-unchanged')).toContainText(
    'data/train.csv'
  );
  await panel.screenshot('compare-result');
  await page
    .locator('.jp-Dialog')
    .getByRole('button', { name: 'Close' })
    .click();

  // The workspace against the kit this folder was last packed as: what would change if packed now.
  await put(request, `/api/contents/${FOLDER}/data/train.csv`, {
    type: 'file',
    format: 'text',
    content: 'x,y\n1,2\n3,4\n'
  });
  await page
    .locator('.lm-DockPanel-tabBar .lm-TabBar-tab', { hasText: 'Kitfile' })
    .click();
  await panel.editor
    .getByRole('button', { name: 'Compare with a kit…' })
    .click();
  const workspaceAsk = page.locator('.jp-Dialog');
  await expect(workspaceAsk.locator('input[name="typed"]')).toHaveValue(
    'compare:v2'
  );
  await workspaceAsk.getByRole('button', { name: 'Compare' }).click();
  const workspace = page.getByTestId('kitlab-kit-diff');
  await expect(workspace).toBeVisible({ timeout: 30000 });
  await expect(workspace).toContainText(
    `to the folder ${FOLDER} as it would be packed now`
  );
  await expect(workspace).not.toContainText('/tmp/');
  await expect(workspace.locator('tr.jp-kitlab-kitdiff-changed')).toContainText(
    ['data/train.csv']
  );
  await panel.screenshot('compare-workspace');
  await page
    .locator('.jp-Dialog')
    .getByRole('button', { name: 'Close' })
    .click();
});
