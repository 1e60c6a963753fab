import { expect, test } from '@jupyterlab/galata';
import { APIRequestContext } from '@playwright/test';

import {
  DEMO_KITFILE,
  KitlabPanel,
  readText,
  setTheme,
  writeWorkspace
} from './kitlab-panel';

/*
 * The main-area Kitfile editor (issue 20): a Kitfile opens like any document, its text is JupyterLab's
 * document model (changes on disk and in other editors show, saving asks on a conflict), a file that
 * does not parse is never replaced, the scan's draft replaces the text only after a diff and a yes,
 * and Pack jumps to the first problem. Needs: GET /api/contents, GET /scan, POST /kitfile/validate,
 * GET /schema, GET /plan, GET /kitlab/kitfile.
 */
test.use({ autoGoto: false, viewport: { width: 1440, height: 900 } });

type App = {
  docRegistry: {
    preferredWidgetFactories(path: string): { name: string }[];
  };
};

for (const theme of ['light', 'dark'] as const) {
  test(`a Kitfile opens in the main area from the file browser (${theme})`, async ({
    page,
    request
  }, testInfo) => {
    await writeWorkspace(request, 'demo', { Kitfile: DEMO_KITFILE });
    await page.goto();
    await setTheme(page, theme);
    const panel = new KitlabPanel(page, testInfo);
    await panel.closeEditors();
    await page.filebrowser.openDirectory('demo');
    await page
      .locator('.jp-DirListing-item[data-file-type="kitfile"]')
      .dblclick();
    await expect(panel.editor).toBeVisible({ timeout: 15000 });
    // The scan with its reasons, the form, and the layers, side by side in the main area.
    await expect(panel.entry('models/churn.joblib')).toBeVisible({
      timeout: 30000
    });
    await expect(panel.field('root_package_name')).toHaveValue('churn');
    await expect(panel.editor.locator('.jp-kitlab-editor-plan')).toBeVisible();
    // A path field's Browse… button: its folder icon is centred on the label, not raised above it.
    const browse = panel.editor.locator('.jp-kitlab-browse').first();
    const offset = await browse.evaluate(button => {
      const icon = button
        .querySelector('.jp-kitlab-browse-icon svg')!
        .getBoundingClientRect();
      const box = button.getBoundingClientRect();
      return Math.abs(icon.top + icon.height / 2 - (box.top + box.height / 2));
    });
    expect(offset).toBeLessThan(2);
    // In a narrow main area the bar's three buttons wrap together, never Pack & push alone.
    await page.sidebar.setWidth(950, 'left');
    const tops = new Set<number>();
    for (const name of ['Save Kitfile', 'Pack…', 'Pack & push…']) {
      const button = panel.editor.getByRole('button', { name, exact: true });
      tops.add(Math.round((await button.boundingBox())!.y));
    }
    expect([...tops]).toHaveLength(1);
    await panel.screenshot(`editor-${theme}-narrow`);
    // A found file's controls stay on one row, its × (leave it out) at the end: the chips (framework,
    // format, pickle verdict) shrink rather than push the × or a chip onto a line of its own.
    const controlsRow = () =>
      panel
        .entry('models/churn.joblib')
        .locator('.jp-kitlab-entry-controls')
        .evaluate(controls => {
          const middle = (node: Element) => {
            const box = node.getBoundingClientRect();
            return box.top + box.height / 2;
          };
          const row = middle(controls.querySelector('select')!);
          const remove = controls.lastElementChild!;
          return {
            offRow: Array.from(controls.children).filter(
              child => Math.abs(middle(child) - row) > 2
            ).length,
            removeAtEnd:
              remove.classList.contains('jp-ToolbarButtonComponent') &&
              Math.abs(
                controls.getBoundingClientRect().right -
                  remove.getBoundingClientRect().right -
                  parseFloat(getComputedStyle(remove).marginRight)
              ) < 2
          };
        });
    expect(await controlsRow()).toEqual({ offRow: 0, removeAtEnd: true });
    await page.sidebar.setWidth(250, 'left');
    await panel.screenshot(`editor-${theme}`);
    expect(await controlsRow()).toEqual({ offRow: 0, removeAtEnd: true });
    if (theme === 'light') {
      await panel.docsScreenshot('kitfile-editor');
    }
    // The placeholder of an empty field reads as an example, in a faint colour.
    const version = panel.field('root_package_version');
    await expect(version).toHaveAttribute('placeholder', /^e\.g\. /);
    // Rarely used fields wait under "More fields".
    await expect(panel.field('root_model_parameters')).toHaveCount(0);
    await panel.showMoreFields();
    await expect(panel.field('root_model_parameters')).toBeVisible();
    await panel.editor
      .getByRole('button', { name: 'Show what will be packed' })
      .click();
    await expect(panel.editor.getByTestId('kitlab-plan')).toContainText(
      'models/churn.joblib'
    );
    await panel.screenshot(`editor-${theme}-more-and-plan`);
    // "Open With" still offers JupyterLab's text editor; the Kitfile editor is the default.
    const factories = await page.evaluate(() =>
      (window as unknown as { jupyterapp: App }).jupyterapp.docRegistry
        .preferredWidgetFactories('demo/Kitfile')
        .map(factory => factory.name)
    );
    expect(factories[0]).toBe('Kitfile Editor');
    expect(factories).toContain('Editor');
  });
}

test('a Kitfile that does not parse is shown with its line and never replaced (defect 9)', async ({
  page,
  request
}, testInfo) => {
  const broken = 'manifestVersion: 1.0.0\npackage:\n  name: [churn\n';
  const panel = await KitlabPanel.openDemoKitfile(
    page,
    request,
    testInfo,
    broken
  );
  // It opens on the YAML tab, with the parser's problem and its line; the text is the user's.
  await expect(
    panel.editor.getByRole('button', { name: 'YAML', exact: true })
  ).toHaveAttribute('aria-pressed', 'true');
  await panel.expectYaml(broken);
  const problem = panel.editor.locator('.jp-kitlab-problem').first();
  await expect(problem).toContainText(/line \d|\d+:\d+/);
  await expect(panel.kitfileStatus).toHaveText('Saved');
  // The scan finishes and still does not replace anything.
  await expect(
    panel.editor.getByRole('button', {
      name: "Replace the Kitfile with the scan's draft…"
    })
  ).toBeVisible({ timeout: 30000 });
  await expect(panel.kitfileStatus).toHaveText('Saved');
  // Pack… says why it cannot pack and goes to the problem, with no dialog and no write.
  await expect(panel.editor.getByTestId('kitlab-pack-blocked')).toContainText(
    'does not parse'
  );
  await panel.editor
    .getByRole('button', { name: 'Pack…', exact: true })
    .click({ force: true });
  await expect(page.locator('.jp-Dialog')).toHaveCount(0);
  await expect(panel.editor.locator('.jp-kitlab-problems')).toBeFocused();
  await panel.screenshot('broken-kitfile');
  // The form says where to fix it.
  await panel.editor.getByRole('button', { name: 'Form', exact: true }).click();
  await expect(panel.editor).toContainText('fix it in the YAML tab');
  expect(await readText(request, 'demo/Kitfile')).toBe(broken);
});

test("the scan's draft replaces the Kitfile only after a diff and a yes, with undo (defect 6)", async ({
  page,
  request
}, testInfo) => {
  const panel = await KitlabPanel.openDemoKitfile(page, request, testInfo);
  await expect(panel.entry('models/churn.joblib')).toBeVisible({
    timeout: 30000
  });
  const name = panel.field('root_package_name');
  await name.fill('my-edit');
  await expect(panel.kitfileStatus).toHaveText('Unsaved changes');
  const replace = panel.editor.getByRole('button', {
    name: "Replace the Kitfile with the scan's draft…"
  });

  // The dialog shows what would change; Cancel keeps the edit.
  await replace.click();
  const dialog = page.locator('.jp-Dialog');
  await expect(dialog).toContainText(
    "Replace the Kitfile with the scan's draft?"
  );
  const diff = dialog.getByTestId('kitlab-diff');
  await expect(
    diff.locator('.jp-kitlab-diff-removed', { hasText: 'name: my-edit' })
  ).toHaveCount(1);
  await expect(diff.locator('.jp-kitlab-diff-added').first()).toBeVisible();
  await panel.screenshot('replace-diff');
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await expect(dialog).toHaveCount(0);
  await expect(name).toHaveValue('my-edit');

  // Replace takes the scan's draft (the folder's name for the package), unsaved; Undo brings the
  // edit back.
  await replace.click();
  await dialog.getByRole('button', { name: 'Replace' }).click();
  await expect(dialog).toHaveCount(0);
  await expect(name).toHaveValue('demo', { timeout: 10000 });
  await expect(panel.kitfileStatus).toHaveText('Unsaved changes');
  expect(await readText(request, 'demo/Kitfile')).toBe(DEMO_KITFILE);
  await page.getByRole('button', { name: 'Undo', exact: true }).click();
  await expect(name).toHaveValue('my-edit', { timeout: 10000 });
});

test('the editor shows changes made on disk and in the text editor, and a save asks on a conflict (defect 10)', async ({
  page,
  request
}, testInfo) => {
  test.setTimeout(90000);
  const panel = await KitlabPanel.openDemoKitfile(page, request, testInfo);
  const name = panel.field('root_package_name');

  // Changed on disk, no unsaved edits: the editor loads it.
  await writeWorkspace(request, 'demo', {
    Kitfile: DEMO_KITFILE.replace(
      'name: churn\nmodel',
      'name: from-disk\nmodel'
    )
  });
  await expect(name).toHaveValue('from-disk', { timeout: 20000 });
  await expect(panel.kitfileStatus).toHaveText('Saved');

  // Edited in JupyterLab's text editor: the same document, so the form shows the edit and a save
  // from the Kitfile editor writes it (it used to be reverted).
  await panel.command('docmanager:open', {
    path: 'demo/Kitfile',
    factory: 'Editor'
  });
  const textEditor = page.locator(
    '#jp-main-dock-panel .jp-FileEditor:not(.lm-mod-hidden) .cm-content'
  );
  await textEditor.click();
  await page.keyboard.press('Control+End');
  await page.keyboard.type('docs:\n- path: README.md\n');
  await panel.command('docmanager:open', {
    path: 'demo/Kitfile',
    factory: 'Kitfile Editor'
  });
  await expect(panel.kitfileStatus).toHaveText('Unsaved changes', {
    timeout: 10000
  });
  await expect(panel.field('root_docs_0_path')).toHaveValue('README.md', {
    timeout: 10000
  });
  await panel.field('root_package_version').fill('3.0');
  await panel.save();
  const saved = await readText(request, 'demo/Kitfile');
  expect(saved).toContain('path: README.md');
  expect(saved).toContain("version: '3.0'");
  expect(saved).toContain('# Kept by kitlab: a comment the user wrote');

  // Unsaved edits while the file changes on disk: the editor says so, and saving asks first.
  await panel.field('root_package_version').fill('4.0');
  await expect(panel.kitfileStatus).toHaveText('Unsaved changes');
  await writeWorkspace(request, 'demo', {
    Kitfile: DEMO_KITFILE.replace('churn\nmodel', 'other\nmodel')
  });
  await expect(panel.editor.getByRole('alert')).toContainText(
    'changed on disk',
    { timeout: 20000 }
  );
  await panel.screenshot('changed-on-disk');
  await panel.editor.getByRole('button', { name: 'Save Kitfile' }).click();
  const dialog = page.locator('.jp-Dialog');
  await expect(dialog).toContainText('File Changed');
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  expect(await readText(request, 'demo/Kitfile')).toContain('name: other');
});

test('comments typed in the YAML tab survive the form, and a form edit keeps them (defect 10)', async ({
  page,
  request
}, testInfo) => {
  const panel = await KitlabPanel.openDemoKitfile(page, request, testInfo);
  const yaml = panel.editor.getByRole('button', { name: 'YAML', exact: true });
  const form = panel.editor.getByRole('button', { name: 'Form', exact: true });
  await yaml.click();
  const typed = DEMO_KITFILE.replace(
    'model:\n',
    'model:  # typed in the YAML tab\n'
  );
  await panel.fillYaml(typed);
  await form.click();
  await expect(panel.field('root_package_name')).toHaveValue('churn');
  await yaml.click();
  await panel.expectYaml(typed);

  // A form edit lays the value into the text as typed, comments and all.
  await form.click();
  await panel.field('root_package_version').fill('1.5');
  await yaml.click();
  await panel.expectYaml(/version: '1\.5'/);
  await panel.expectYaml(/model: {2}# typed in the YAML tab/);
  await panel.expectYaml(/# Kept by kitlab: a comment the user wrote/);
});

test('Pack jumps to the first problem; the pack dialog never assumes latest; cancelling writes nothing (defect 7)', async ({
  page,
  request
}, testInfo) => {
  const panel = await KitlabPanel.openDemoKitfile(page, request, testInfo);
  const path = panel.field('root_model_path');
  await path.fill('models/missing.joblib');
  await expect(panel.fieldErrors('root_model_path').first()).toContainText(
    'does not exist',
    { timeout: 10000 }
  );
  await panel.editor
    .getByRole('button', { name: 'Pack…', exact: true })
    .click({ force: true });
  await expect(page.locator('.jp-Dialog')).toHaveCount(0);
  await expect(path).toBeFocused();
  await panel.screenshot('pack-jumps-to-problem');

  // Fixed: Pack… asks (saying that Start saves first), with no tag filled in for the user.
  await path.fill('models/churn.joblib');
  await expect(panel.fieldErrors('root_model_path')).toHaveCount(0, {
    timeout: 10000
  });
  await panel.editor
    .getByRole('button', { name: 'Pack…', exact: true })
    .click({ force: true });
  const dialog = page.locator('.jp-Dialog');
  await expect(dialog.getByTestId('kitlab-pack-saves')).toBeVisible();
  await expect(dialog.locator('input[name="tag"]')).toHaveValue('');
  // Its examples are worded as examples, like the form's (and styled faint and italic).
  await expect(dialog.locator('input[name="tag"]')).toHaveAttribute(
    'placeholder',
    'e.g. v1'
  );
  await expect(dialog.locator('input[name="repository"]')).toHaveAttribute(
    'placeholder',
    'e.g. org/my-model'
  );
  expect(
    await dialog
      .locator('input[name="tag"]')
      .evaluate(input => getComputedStyle(input, '::placeholder').fontStyle)
  ).toBe('italic');
  // The reference is checked as it is typed, with Start's own check: Start waits until it is valid.
  const start = dialog.getByRole('button', { name: 'Start' });
  await expect(panel.fieldProblem('tag')).toHaveText('A tag is required.');
  await expect(start).toBeDisabled();
  await dialog.locator('input[name="tag"]').fill('-v1');
  await expect(panel.fieldProblem('tag')).toContainText('not starting with');
  await dialog.locator('input[name="registry"]').fill('https://ghcr.io');
  await expect(panel.fieldProblem('registry')).toHaveText(
    'A registry is a host name with an optional :port.'
  );
  await expect(start).toBeDisabled();
  await panel.screenshot('pack-dialog-problems');
  await dialog.locator('input[name="registry"]').fill('');
  await dialog.locator('input[name="tag"]').fill('v1');
  await expect(panel.fieldProblem('registry')).toHaveCount(0);
  await expect(panel.fieldProblem('tag')).toHaveCount(0);
  await expect(start).toBeEnabled();
  // Pack & push needs a registry: the same field says so at once.
  await dialog.locator('input[name="push"]').check();
  await expect(panel.fieldProblem('registry')).toContainText(
    'Pushing needs a registry'
  );
  await expect(start).toBeDisabled();
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  expect(await readText(request, 'demo/Kitfile')).toBe(DEMO_KITFILE);
  await expect(panel.kitfileStatus).toHaveText('Unsaved changes');
});

test('the sidebar follows the file browser and comes back on the tab left', async ({
  page,
  request
}, testInfo) => {
  await writeWorkspace(request, 'demo', { Kitfile: DEMO_KITFILE });
  await page.goto();
  const panel = new KitlabPanel(page, testInfo);
  // The Package tab starts at the folder the file browser shows (not the server root).
  await page.filebrowser.openDirectory('demo');
  await panel.open();
  await panel.showTab('Package');
  await expect(panel.root.locator('input[name="folder"]')).toHaveValue('demo');
  await panel.root
    .getByRole('button', { name: 'Open Kitfile editor', exact: true })
    .click();
  await expect(panel.editor).toBeVisible({ timeout: 15000 });
  await panel.screenshot('sidebar-folder');

  // JupyterLab writes its state database to the workspace shortly after a change.
  // Wait for the save that carries the Kits tab (an earlier one may still be on its way).
  const workspaceSaved = page.waitForRequest(
    sent =>
      sent.url().includes('/api/workspaces') &&
      sent.method() === 'PUT' &&
      /"kitlab:panel-tab":\s*"kits"/.test(sent.postData() ?? '')
  );
  await panel.showTab('Kits');
  await workspaceSaved;
  // The restored Kitfile editor takes the place of the Launcher Galata waits for by default.
  await page.reload({ waitForIsReady: false });
  await page.locator('#jupyterlab-splash').waitFor({ state: 'detached' });
  await panel.open();
  await expect(
    panel.root.getByRole('tab', { name: 'Kits', exact: false })
  ).toHaveAttribute('aria-selected', 'true');
  await expect(panel.editor).toContainText('demo/Kitfile');
});
