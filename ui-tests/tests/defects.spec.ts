import { expect, test } from '@jupyterlab/galata';
import * as fs from 'fs';
import * as path from 'path';
import { APIRequestContext } from '@playwright/test';

import {
  DANGEROUS_PICKLE,
  KitlabPanel,
  notebookJson,
  readText,
  runJob,
  serverRoot,
  setTheme,
  writeWorkspace
} from './kitlab-panel';
import { useRegistry } from './registry-server';

/*
 * The defects of issue 20 that a user meets in the browser, each on a workspace of its own:
 *  1  files of secrets named (one per file) at the scan, the plan and the Pack dialog, with a preview
 *     and "Write .kitignore" that keeps the user's lines;
 *  3  a model a .py script writes with pickle.dump(model, open(...)) is drafted, its pickle flagged;
 *  4  an expanded layer lists its files;
 *  5, 12  a pull goes into kits/<name> (the dialog says so), a scan of the folder leaves it out, and a
 *     pull into an existing folder asks: keep, overwrite or a new folder;
 *  8  the requirements hint names python-dotenv; "cell N" counts code cells like the notebook's [N];
 *  11 pinned requirements, reads outside the folder, what was left out and why, and coverage worked
 *     out from the current Kitfile;
 *  12 lineage recorded from the notebook packed from, "Show the kit" after Pack & push, an example
 *     placeholder in the Kits "Push" dialog, and the four tabs inside the panel at its default width.
 */
test.use({ autoGoto: false });

// Shaped like tokens, valid for nothing.
const DOTENV =
  'HF_TOKEN=hf_aBcDeFgHiJkLmNoPqRsTuVwXyZ01234567\nAWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE\n';

for (const theme of ['light', 'dark'] as const) {
  test(`secrets, a script's pickle, layer files and what the scan computes (${theme})`, async ({
    page,
    request
  }, testInfo) => {
    test.setTimeout(120000);
    const folder = `defects-${theme}`;
    await writeWorkspace(request, folder, {
      'train.py':
        "import pickle\nimport dotenv\nmodel = fit()\npickle.dump(model, open('models/model.pkl', 'wb'))\n",
      'models/model.pkl': DANGEROUS_PICKLE,
      'notes/todo.txt': 'label the rest\n',
      'explore.ipynb': notebookJson([
        ['markdown', '# Explore'],
        ['code', 'import pandas as pd'],
        ['code', "df = pd.read_csv('/srv/shared/train.csv')"]
      ]),
      // As the issue found it: everything as code, so the .env would be packed.
      Kitfile:
        'manifestVersion: 1.0.0\npackage:\n  name: defects\nmodel:\n  name: model\n  path: models/model.pkl\ncode:\n  - path: .\n'
    });
    await page.goto();
    // Hidden files: the contents API refuses them, so they are written on disk as a user's shell would.
    const root = path.join(await serverRoot(page), folder);
    fs.writeFileSync(path.join(root, '.env'), DOTENV);
    fs.writeFileSync(path.join(root, '.kitignore'), '# mine\n*.tmp\n');
    await setTheme(page, theme);
    const panel = new KitlabPanel(page, testInfo);
    await panel.open();
    await panel.scanFolder(folder);
    const shot = (step: string) => panel.screenshot(`${theme}-${step}`);

    // Defect 3: the script's pickle.dump into an inline open() names the model, flagged dangerous.
    const model = panel.entry('models/model.pkl');
    await expect(model).toHaveAttribute('data-kind', 'model');
    await expect(model).toContainText(
      "pickle.dump(model, open('models/model.pkl', 'wb'))"
    );
    await expect(model.getByTestId('kitlab-pickle-verdict')).toHaveText(
      'dangerous pickle'
    );
    await expect(model).toContainText('posix.system');
    await expect(panel.scanReport).not.toContainText('path not constant');

    // Defect 1 (and 8): one .env is one file of secrets, its kinds named, its contents never shown.
    const scanSecrets = panel.scanReport.getByTestId('kitlab-secrets-warning');
    await expect(scanSecrets.locator('li')).toHaveCount(1);
    await expect(scanSecrets).toContainText(
      '1 file looks like it holds secrets'
    );
    await expect(scanSecrets.locator('li[data-path=".env"]')).toContainText(
      'Hugging Face token'
    );
    await expect(panel.editor).not.toContainText('AKIAIOSFODNN7EXAMPLE');

    // Defects 8 and 11: the pins say python-dotenv; a read outside the folder is named, counted in
    // code cells as the notebook shows them ([2], the markdown title is no cell).
    const requirements = panel.scanReport.getByTestId('kitlab-requirements');
    await requirements.locator('summary').click();
    await expect(requirements).toContainText('python-dotenv');
    const writeRequirements = requirements.getByRole('button', {
      name: 'Write requirements.txt'
    });
    await request.delete(`/api/contents/${folder}/requirements.txt`);
    await writeRequirements.click();
    await expect(requirements).toContainText(
      `Written to ${folder}/requirements.txt.`
    );
    expect(await readText(request, `${folder}/requirements.txt`)).toContain(
      'python-dotenv=='
    );
    // An existing requirements.txt is replaced only when the user agrees.
    await writeWorkspace(request, folder, { 'requirements.txt': 'mine==1\n' });
    await writeRequirements.click();
    const replace = page.locator('.jp-Dialog', { hasText: 'Replace' });
    await expect(replace).toContainText('requirements.txt already');
    await replace.getByRole('button', { name: 'Keep mine' }).click();
    expect(await readText(request, `${folder}/requirements.txt`)).toBe(
      'mine==1\n'
    );
    const external = panel.scanReport.getByTestId('kitlab-external');
    await expect(external).toContainText('/srv/shared/train.csv');
    await expect(external).toContainText('explore.ipynb cell 2');
    // Defect 11: the scan's own draft left notes/ out, but this Kitfile packs "." – nothing is "in no
    // layer" any more.
    await expect(panel.editor.getByTestId('kitlab-uncovered')).toHaveCount(0);
    await shot('defects-scan');

    // Defects 1 and 4: the plan names the secret and lists each layer's files.
    await panel.editor
      .getByRole('button', { name: 'Show what will be packed' })
      .click();
    const plan = panel.editor.getByTestId('kitlab-plan');
    await expect(plan).toBeVisible({ timeout: 30000 });
    const planSecrets = plan.getByTestId('kitlab-secrets-warning');
    await expect(planSecrets.locator('li[data-path=".env"]')).toBeVisible();
    await planSecrets.locator('summary').click();
    const preview = planSecrets.getByTestId('kitlab-kitignore-preview');
    await expect(preview).toContainText('# mine');
    await expect(preview).toContainText('.env');
    const codeLayer = plan.locator('.jp-kitlab-layer', { hasText: 'code' });
    await codeLayer.locator('summary').first().click();
    const files = codeLayer.locator('.jp-kitlab-files li');
    await expect(files.filter({ hasText: 'train.py' })).toHaveCount(1);
    await expect(files.filter({ hasText: /^–$/ })).toHaveCount(0);
    await planSecrets.scrollIntoViewIfNeeded();
    await shot('defects-plan');

    // Defect 1: the Pack & push dialog warns too, naming the file.
    await panel.editor
      .getByRole('button', { name: 'Pack & push…', exact: true })
      .click();
    const dialog = page.locator('.jp-Dialog');
    const dialogSecrets = dialog.getByTestId('kitlab-secrets-warning');
    await expect(dialogSecrets.locator('li[data-path=".env"]')).toBeVisible();
    await expect(dialogSecrets).toContainText('Nothing is packed or pushed');
    await shot('defects-pack-dialog');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await expect(dialog).toHaveCount(0);

    // "Write .kitignore": the user's lines kept, the .env added, the plan read again without it.
    await planSecrets.getByRole('button', { name: 'Write .kitignore' }).click();
    await expect(plan.getByTestId('kitlab-kitignore-written')).toBeVisible();
    await expect(plan.getByTestId('kitlab-secrets-warning')).toHaveCount(0);
    const written = fs.readFileSync(path.join(root, '.kitignore'), 'utf-8');
    expect(written.startsWith('# mine\n*.tmp\n')).toBe(true);
    expect(written.split('\n')).toContain('.env');
    await shot('defects-kitignore-written');
  });
}

test('a pull goes into kits/, asks before an existing folder, and scans leave it out', async ({
  page,
  request
}, testInfo) => {
  test.setTimeout(180000);
  await writeWorkspace(request, 'defects-kitsrc', {
    'models/weights.bin': Buffer.alloc(2048, 7),
    Kitfile:
      'manifestVersion: 1.0.0\npackage:\n  name: pulled\nmodel:\n  name: pulled\n  path: models/weights.bin\n'
  });
  await runJob(request, 'pack', {
    path: 'defects-kitsrc',
    reference: 'defects-pulled:v1'
  });
  await writeWorkspace(request, 'defects-pull', {
    'train.py':
      "import pickle\nmodel = fit()\npickle.dump(model, open('models/model.pkl', 'wb'))\n",
    'models/model.pkl': DANGEROUS_PICKLE
  });
  await request.delete('/api/contents/defects-pull/kits');

  await page.goto();
  // The file browser's folder is the pull's current folder.
  await page.filebrowser.openDirectory('defects-pull');
  const panel = new KitlabPanel(page, testInfo);
  await panel.open();
  const pull = async (): Promise<void> => {
    const dialog = await panel.openPullDialog('defects-pulled:v1');
    await expect(dialog.locator('input[name="destination"]')).toHaveValue(
      'defects-pull/kits/defects-pulled'
    );
    await expect(dialog.getByTestId('kitlab-pull-where')).toContainText(
      'kits/ of the current folder (defects-pull)'
    );
  };

  // Defect 5: the default destination is kits/<name>, and the dialog says where and why.
  await pull();
  await panel.screenshot('pull-default-kits-folder');
  await page
    .locator('.jp-Dialog')
    .getByRole('button', { name: 'Pull and open' })
    .click();
  await panel.expectJobSucceeded(panel.latestJob);
  await expect(page.locator('.jp-MainAreaWidget .jp-Notebook')).toBeVisible({
    timeout: 30000
  });
  // At the default sidebar width, "Open <notebook path>" wraps inside its button and the panel.
  await page.sidebar.setWidth(250, 'left');
  const open = panel.latestJob.locator('.jp-kitlab-job-open');
  await expect(open).toContainText('defects-pull/kits/defects-pulled');
  expect(
    await open.evaluate(button => ({
      text: button.scrollHeight - button.clientHeight,
      panel:
        button.closest('#kitlab-panel')!.scrollWidth -
        button.closest('#kitlab-panel')!.clientWidth
    }))
  ).toEqual({ text: 0, panel: 0 });
  await panel.screenshot('pull-open-notebook-default-width');
  await page.sidebar.setWidth(420, 'left');

  // Defect 12: the folder exists now; the user chooses instead of a failed job.
  await pull();
  await page
    .locator('.jp-Dialog')
    .getByRole('button', { name: 'Pull and open' })
    .click();
  const choice = page.locator('.jp-Dialog', { hasText: 'already exists' });
  await expect(choice).toBeVisible();
  await expect(
    choice.getByRole('button', {
      name: 'Use defects-pull/kits/defects-pulled-2'
    })
  ).toBeVisible();
  await expect(choice.getByRole('button', { name: 'Overwrite' })).toBeVisible();
  await panel.screenshot('pull-existing-folder');
  await choice.getByRole('button', { name: 'Keep existing files' }).click();
  await panel.expectJobSucceeded(panel.latestJob);

  // The next scan of the folder still drafts the script's model; the pulled kit is left out, with why.
  await panel.scanFolder('defects-pull');
  await expect(panel.entry('models/model.pkl')).toHaveAttribute(
    'data-kind',
    'model'
  );
  await expect(
    panel.scanReport.locator('.jp-kitlab-entry[data-path^="kits/"]')
  ).toHaveCount(0);
  const excluded = panel.scanReport.getByTestId('kitlab-excluded');
  await excluded.locator('summary').click();
  await expect(excluded).toContainText('kits/defects-pulled');
  await expect(excluded).toContainText('an unpacked ModelKit');
  await panel.screenshot('pull-left-out-of-scan');
});

test.describe('with a registry', () => {
  const registry = useRegistry();

  /** A notebook's file as the server has it, as text. */
  async function notebookOnDisk(
    request: APIRequestContext,
    path: string
  ): Promise<string> {
    const response = await request.get(
      `/api/contents/${path}?type=file&format=text`
    );
    return ((await response.json()) as { content: string }).content;
  }

  test('lineage from the notebook packed from, Show the kit, the Push placeholder and the tabs', async ({
    page,
    request
  }, testInfo) => {
    test.setTimeout(180000);
    const host = registry.host;
    await writeWorkspace(request, 'defects-lineage', {
      'data/rows.csv': 'a,b\n1,2\n',
      'train.ipynb': notebookJson([
        ['markdown', '# Train'],
        ['code', "import pandas as pd\ndf = pd.read_csv('data/rows.csv')"]
      ]),
      Kitfile:
        'manifestVersion: 1.0.0\npackage:\n  name: lineage\ndatasets:\n  - name: rows\n    path: data/rows.csv\ncode:\n  - path: train.ipynb\n'
    });

    await page.goto();
    const panel = new KitlabPanel(page, testInfo);
    // The panel at its default width: every tab is inside it, and all four share one line.
    await panel.tab.click();
    await expect(panel.root).toBeVisible();
    const box = await panel.root.boundingBox();
    const tops = new Set<number>();
    for (const name of ['Package', 'Jobs', 'Kits', 'Registries']) {
      const tab = panel.root.getByRole('tab', { name, exact: false }).first();
      await expect(tab).toBeVisible();
      const tabBox = await tab.boundingBox();
      expect(tabBox!.x + tabBox!.width).toBeLessThanOrEqual(
        box!.x + box!.width + 1
      );
      tops.add(Math.round(tabBox!.y));
    }
    expect([...tops]).toHaveLength(1);
    // Empty fields show examples worded and styled as such (faint italics), not values.
    await panel.showTab('Kits');
    const remote = panel.root.locator('input[name="repository"]');
    await expect(remote).toHaveAttribute(
      'placeholder',
      'e.g. ghcr.io/org/model'
    );
    expect(
      await remote.evaluate(
        input => getComputedStyle(input, '::placeholder').fontStyle
      )
    ).toBe('italic');
    await panel.showTab('Registries');
    await expect(
      panel.root.locator('input[name="browse-host"]')
    ).toHaveAttribute('placeholder', 'e.g. registry.example.com');
    await panel.showTab('Package');
    await panel.screenshot('tabs-default-width');

    // Lineage: the notebook whose toolbar "Package" was pressed records the pushed kit.
    await panel.command('docmanager:open', {
      path: 'defects-lineage/train.ipynb'
    });
    await expect(page.locator('.jp-NotebookPanel:visible')).toBeVisible();
    // Opening upgrades the notebook (cell ids) and the kernel's start writes its language_info:
    // once the kernel is idle, save, so that the push finds no unsaved edits.
    await expect(page.locator('#jp-main-statusbar')).toContainText('Idle', {
      timeout: 30000
    });
    await page.notebook.save();
    await expect(
      page.locator('.lm-TabBar-tab.jp-mod-dirty', { hasText: 'train.ipynb' })
    ).toHaveCount(0);
    await page
      .locator('.jp-NotebookPanel:visible .jp-kitlab-toolbar-package')
      .click();
    await expect(panel.editor).toBeVisible({ timeout: 30000 });
    const reference = `${host}/org/lineage:v1`;
    const job = await panel.packPush(
      { registry: host, repository: 'org/lineage', tag: 'v1' },
      async dialog => {
        await expect(dialog.getByTestId('kitlab-pack-lineage')).toContainText(
          'defects-lineage/train.ipynb'
        );
        await panel.screenshot('pack-push-lineage');
      }
    );
    await panel.expectJobSucceeded(job, 90000);
    // At the default width the job's long reference wraps: its Details button stays in the panel.
    const details = job.getByRole('button', { name: 'Details' });
    await expect(details).toBeVisible();
    const detailsBox = await details.boundingBox();
    expect(detailsBox!.x + detailsBox!.width).toBeLessThanOrEqual(
      box!.x + box!.width + 1
    );
    expect(
      await panel.root.evaluate(root => root.scrollWidth - root.clientWidth)
    ).toBe(0);
    const notebook = (await (
      await request.get('/api/contents/defects-lineage/train.ipynb')
    ).json()) as {
      content: { metadata: { kitlab?: { pushed?: { reference: string }[] } } };
    };
    expect(
      notebook.content.metadata.kitlab?.pushed?.map(p => p.reference)
    ).toContain(reference);

    // "Show the kit" after Pack & push shows the kit on its registry (nothing is stored locally).
    const show = page.getByRole('button', { name: 'Show the kit' });
    await show.first().click();
    await expect(
      page.locator('.lm-DockPanel-tabBar .lm-TabBar-tab.lm-mod-current')
    ).toContainText(reference);
    await panel.screenshot('show-the-pushed-kit');

    // The open notebook (no unsaved edits) was reloaded with the record: an edit then saves
    // without JupyterLab's "File Changed" question (which would hold the save back).
    await page.notebook.activate('train.ipynb');
    await page.notebook.setCell(1, 'code', 'print("edited")');
    await page.keyboard.press('Control+s');
    await expect
      .poll(() => notebookOnDisk(request, 'defects-lineage/train.ipynb'))
      .toContain('print(\\"edited\\")');
    await expect(page.locator('.jp-Dialog')).toHaveCount(0);

    // With unsaved edits, the next push records its kit in the notebook's model instead of the file:
    // the edits stay, and one save writes both.
    await page.notebook.setCell(1, 'code', 'print("unsaved")');
    await page
      .locator('.lm-DockPanel-tabBar .lm-TabBar-tab', { hasText: 'Kitfile' })
      .click();
    const second = await panel.packPush({
      registry: host,
      repository: 'org/lineage',
      tag: 'v2'
    });
    await panel.expectJobSucceeded(second, 90000);
    expect(
      await notebookOnDisk(request, 'defects-lineage/train.ipynb')
    ).not.toContain('lineage:v2');
    await page.notebook.activate('train.ipynb');
    await page.keyboard.press('Control+s');
    await expect
      .poll(() => notebookOnDisk(request, 'defects-lineage/train.ipynb'))
      .toContain('lineage:v2');
    const saved = await notebookOnDisk(request, 'defects-lineage/train.ipynb');
    expect(saved).toContain('print(\\"unsaved\\")');
    expect(saved).toContain('lineage:v1');
    await expect(page.locator('.jp-Dialog')).toHaveCount(0);

    // The Kits "Push" dialog: empty, with an example worded as one.
    await runJob(request, 'pack', {
      path: 'defects-lineage',
      reference: 'defects-lineage:v1'
    });
    await panel.open();
    await panel.showTab('Kits');
    const kit = panel.kit('localhost/defects-lineage');
    await expect(kit).toBeVisible({ timeout: 10000 });
    await kit.getByRole('button', { name: 'Push', exact: true }).click();
    const push = page.locator('.jp-Dialog');
    await expect(push.locator('input[name="destination"]')).toHaveValue('');
    await expect(push.locator('input[name="destination"]')).toHaveAttribute(
      'placeholder',
      'e.g. ghcr.io/defects-lineage:v1'
    );
    await push.getByRole('button', { name: 'Cancel' }).click();
  });
});
