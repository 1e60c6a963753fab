import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';
import { APIRequestContext } from '@playwright/test';

import {
  DANGEROUS_PICKLE,
  KitlabPanel,
  lineBreaks,
  notebookJson,
  runJob,
  writeWorkspace
} from './kitlab-panel';
import { useRegistry } from './registry-server';

/*
 * The detail views (a job, a kit, a registry) and running jobs outside the panel.
 * Needs: PUT /api/contents, PUT /kitlab/kitfile, POST /kitlab/jobs (pack, push with tags, pack-push
 * with a notebook), GET /kitlab/kits/{ref}, GET /kitlab/remote/catalog, /remote/tags, /remote/kit,
 * DELETE /kitlab/jobs/{id}, and a real docker-registry.
 */
test.use({ autoGoto: false });

const PART =
  'models/tokenizer/vocabulary/a-tokenizer-vocabulary-with-a-file-name-longer-than-the-table-is-wide.json';

/**
 * `folder/` with a Kitfile, a dangerous pickle as the model, a model part with a long path (wider
 * than the Layers table has room for) and a notebook.
 */
async function makeWorkspace(
  request: APIRequestContext,
  folder: string
): Promise<void> {
  await writeWorkspace(request, folder, {
    'models/model.pkl': DANGEROUS_PICKLE,
    [PART]: '{}',
    'train.ipynb': notebookJson([['code', 'print(1)']])
  });
  const saved = await request.put(`/kitlab/kitfile?path=${folder}`, {
    data: {
      kitfile: {
        manifestVersion: '1.0.0',
        package: { name: 'details-demo', version: '1.0.0' },
        model: {
          name: 'model',
          path: 'models/model.pkl',
          parts: [{ path: PART }]
        },
        code: [{ path: 'train.ipynb' }]
      }
    }
  });
  expect(saved.ok(), await saved.text()).toBe(true);
}

/** The main-area widget the detail commands open (the active one). */
function mainArea(page: IJupyterLabPageFixture) {
  return page.locator('#jp-main-dock-panel .jp-kitlab-detail-view:visible');
}

for (const theme of ['light', 'dark'] as const) {
  test(`a job's details: warnings, safety report, digest, size, log; clear finished jobs (${theme})`, async ({
    page,
    request
  }, testInfo) => {
    test.setTimeout(120000);
    const folder = `job-details-${theme}`;
    await makeWorkspace(request, folder);
    const { id } = await runJob(request, 'pack', {
      path: folder,
      reference: `${folder}:v1`
    });

    const panel = await KitlabPanel.load(page, testInfo, {
      theme,
      tab: 'Jobs'
    });
    const row = panel.root.locator(`.jp-kitlab-job[data-job-id="${id}"]`);
    await expect(row.getByTestId('kitlab-job-warnings')).toHaveText(
      '1 warning'
    );
    await row.getByRole('button', { name: 'Details', exact: true }).click();

    const detail = mainArea(page).locator(
      `.jp-kitlab-job-detail[data-job-id="${id}"]`
    );
    await expect(detail).toBeVisible();
    // The warning is styled as a warning, not as an error; the job did not fail.
    const warning = detail.locator('.jp-kitlab-detail-warnings li');
    await expect(warning).toContainText(
      'models/model.pkl is a dangerous pickle (posix.system)'
    );
    await expect(warning).toHaveClass(/jp-kitlab-warning/);
    await expect(detail.locator('.jp-kitlab-detail-error')).toHaveCount(0);
    await expect(
      detail.locator('.jp-kitlab-safety tr[data-verdict="dangerous"]')
    ).toContainText('posix.system');
    const facts = detail.getByRole('table', { name: 'Job facts' });
    await expect(facts).toContainText(`${folder}:v1`);
    await expect(facts).toContainText(/Digest\s*sha256:[0-9a-f]{64}/);
    await expect(facts).toContainText(/Size\s*[\d.]+ kB/);
    await expect(facts).toContainText(/Duration\s*\d+ s/);
    await expect(detail.getByTestId('kitlab-job-log')).toContainText(
      `warning: ${folder}/models/model.pkl is a dangerous pickle`
    );
    await panel.screenshot(`job-detail-${theme}`);

    // The size is the kit's, the same number the Kits list shows.
    const size =
      (await facts
        .locator('tr', { hasText: 'Size' })
        .locator('td')
        .textContent()) ?? '';
    await panel.showTab('Kits');
    await expect(panel.kit(`localhost/${folder}`)).toContainText(size);

    await panel.showTab('Jobs');
    await panel.root
      .getByRole('button', { name: 'Clear finished jobs' })
      .click();
    await expect(row).toHaveCount(0);
    const listed = (await (await request.get('/kitlab/jobs')).json()) as {
      jobs: { id: string }[];
    };
    expect(listed.jobs.map(job => job.id)).not.toContain(id);
  });
}

test.describe('with a registry', () => {
  const registry = useRegistry();

  for (const theme of ['light', 'dark'] as const) {
    test(`a kit's details, push under several tags, browse the registry and inspect without pulling (${theme})`, async ({
      page,
      request
    }, testInfo) => {
      test.setTimeout(180000);
      const folder = `kit-details-${theme}`;
      await makeWorkspace(request, folder);
      await runJob(request, 'pack', {
        path: folder,
        reference: `${folder}:v1`
      });

      const panel = await KitlabPanel.load(page, testInfo, {
        theme,
        tab: 'Kits'
      });
      const kitRow = panel.kit(`localhost/${folder}`);
      const listedSize =
        (await kitRow
          .locator('.jp-kitlab-kit-head .jp-kitlab-muted')
          .textContent()) ?? '';
      await kitRow
        .getByRole('button', { name: 'Details', exact: true })
        .click();

      const local = mainArea(page).locator('.jp-kitlab-kit-detail');
      await expect(local).toBeVisible();
      await expect(local.getByTestId('kitlab-kit-size')).toHaveText(listedSize);
      await expect(local.locator('.jp-kitlab-layers')).toContainText(
        'models/model.pkl'
      );
      await expect(local.locator('.jp-kitlab-layers')).toContainText('model');
      // A kind stays one word on one line beside a long path, which wraps between its words.
      const kind = local.locator('.jp-kitlab-layers td', {
        hasText: /^modelpart$/
      });
      await expect(kind).toHaveCount(1);
      expect(await lineBreaks(kind)).toEqual([]);
      const path = local.locator('.jp-kitlab-layers td code', {
        hasText: PART
      });
      const pathBreaks = await lineBreaks(path);
      expect(pathBreaks.length).toBeGreaterThan(0);
      for (const { before } of pathBreaks) {
        expect(['/', '-']).toContain(before);
      }
      await kind.scrollIntoViewIfNeeded();
      await panel.screenshot(`kit-layers-${theme}`);
      await expect(
        local.getByRole('table', { name: 'Kitfile summary' })
      ).toContainText('details-demo 1.0.0');
      const digest = await local.getAttribute('data-digest');

      // A label lines up with its value, also beside the value's Copy button.
      const misalignment = await local
        .locator('tr', { hasText: 'Reference' })
        .first()
        .evaluate(row => {
          const label = document.createRange();
          label.selectNodeContents(row.querySelector('th')!);
          const value = row.querySelector('td code')!.getBoundingClientRect();
          return Math.abs(label.getBoundingClientRect().bottom - value.bottom);
        });
      expect(misalignment).toBeLessThan(4);
      // Empty fields show examples, worded as such.
      await expect(local.locator('input[name="push-tags"]')).toHaveAttribute(
        'placeholder',
        'e.g. v1, latest'
      );

      // Two tags, one push job.
      const repository = `${registry.host}/team/${folder}`;
      await local.locator('input[name="push-repository"]').fill(repository);
      await local.locator('input[name="push-tags"]').fill('v1, latest');
      await expect(local.getByTestId('kitlab-push-tags-preview')).toHaveText(
        `One push: ${repository}:v1, ${repository}:latest`
      );
      await local.getByRole('button', { name: 'Push', exact: true }).click();
      await panel.showTab('Jobs');
      await panel.expectJobSucceeded(panel.latestJob);
      await expect(local.getByTestId('kitlab-kit-pushed')).toContainText(
        `${repository}:latest`
      );
      await page
        .locator('.lm-TabBar-tab', { hasText: `${folder}:v1` })
        .first()
        .click();
      await panel.screenshot(`kit-detail-${theme}`);

      // Browse the registry: the repository is in its catalog, both tags are listed.
      await panel.showTab('Registries');
      await panel.root.locator('input[name="browse-host"]').fill(registry.host);
      await panel.root
        .getByRole('button', { name: 'Browse', exact: true })
        .last()
        .click();
      const browser = mainArea(page).locator('.jp-kitlab-registry-browser');
      await browser.getByRole('button', { name: `team/${folder}` }).click();
      // The field to name another repository keeps its distance from the list above it.
      const listBox = await browser
        .locator('.jp-kitlab-repositories')
        .boundingBox();
      const fieldBox = await browser
        .locator('input[name="browse-repository"]')
        .boundingBox();
      expect(fieldBox!.y - (listBox!.y + listBox!.height)).toBeGreaterThan(20);
      const tags = browser.locator('.jp-kitlab-browser-tags');
      await expect(tags.locator('li')).toHaveText([/latest/, /v1/]);
      await panel.screenshot(`registry-browser-${theme}`);

      // Inspect without pulling: the same digest and size as the local kit.
      await tags
        .locator('li[data-tag="latest"]')
        .getByRole('button', { name: 'Inspect' })
        .click();
      const remote = mainArea(page).locator('.jp-kitlab-kit-detail');
      await expect(remote).toHaveAttribute('data-digest', digest ?? '');
      await expect(remote.getByTestId('kitlab-kit-size')).toHaveText(
        listedSize
      );
      await expect(remote).toContainText(
        'On the registry (read without pulling)'
      );
      await panel.screenshot(`remote-kit-detail-${theme}`);

      // The Pull dialog says how much the pull will download before anything is pulled.
      await remote.getByRole('button', { name: 'Pull…' }).click();
      const dialog = page.locator('.jp-Dialog');
      await expect(dialog.getByTestId('kitlab-pull-size')).toHaveText(
        `Download: ${listedSize} (3 layers)`
      );
      await panel.screenshot(`pull-size-${theme}`);
      await dialog.getByRole('button', { name: 'Cancel' }).click();
      await expect(dialog).toHaveCount(0);

      // Both tags name the same kit: this registry deletes only whole kits, so it is refused.
      await remote
        .getByRole('button', { name: 'Delete this tag from the registry…' })
        .click();
      await page
        .locator('.jp-Dialog')
        .getByRole('button', { name: 'Delete' })
        .click();
      await expect(page.locator('.jp-Dialog')).toContainText('v1');
      await expect(page.locator('.jp-Dialog')).toContainText(
        'deleting it would remove those tags too'
      );
      await page
        .locator('.jp-Dialog')
        .getByRole('button', { name: /Ok|Dismiss|Close/ })
        .click();
    });
  }

  test('a pushed notebook names its kit in its toolbar and opens it', async ({
    page,
    request
  }, testInfo) => {
    test.setTimeout(120000);
    const folder = 'lineage-demo';
    await makeWorkspace(request, folder);
    const reference = `${registry.host}/team/lineage:v1`;
    await runJob(request, 'pack-push', {
      path: folder,
      reference,
      plainHttp: true,
      notebook: `${folder}/train.ipynb`
    });

    await page.goto();
    await page.filebrowser.open(`${folder}/train.ipynb`);
    const item = page.locator('.jp-NotebookPanel-toolbar .jp-kitlab-lineage');
    await expect(item).toHaveText(`In kit: ${reference}`);
    const panel = new KitlabPanel(page, testInfo);
    await panel.screenshot('notebook-lineage-toolbar');
    await item.click();
    const remote = mainArea(page).locator('.jp-kitlab-kit-detail');
    await expect(remote).toHaveAttribute('data-reference', reference);
    await expect(
      remote.getByRole('table', { name: 'Kitfile summary' })
    ).toContainText('details-demo');
    await panel.screenshot('notebook-lineage');
  });
});

test('running jobs show in the status bar and on the sidebar tab; the Launcher opens the panel', async ({
  page,
  request
}, testInfo) => {
  test.setTimeout(120000);
  await page.goto();
  const panel = new KitlabPanel(page, testInfo);

  // The Launcher card.
  await panel.command('launcher:create');
  const card = page
    .locator('.jp-LauncherCard:visible')
    .filter({ hasText: /^ModelKit$/ });
  await expect(card).toBeVisible();
  await card.click();
  await expect(panel.root).toBeVisible();

  const created = await request.post('/kitlab/jobs', {
    data: { kind: 'pack', params: { path: 'big', reference: 'status-big:v1' } }
  });
  expect(created.status()).toBe(202);
  const { id } = (await created.json()) as { id: string };
  const status = page.getByTestId('kitlab-status-item');
  await expect(status).toContainText('1 job running', { timeout: 15000 });
  await expect(panel.tab).toHaveAttribute('data-running', '1');
  await panel.screenshot('running-jobs-outside-panel');

  await request.post(`/kitlab/jobs/${id}/cancel`);
  await expect(status).toBeHidden({ timeout: 10000 });
  await expect(panel.tab).not.toHaveAttribute('data-running', /.*/);
});
