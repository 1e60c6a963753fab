import { expect, test } from '@jupyterlab/galata';

import { DEMO_KITFILE, KitlabPanel, setTheme } from './kitlab-panel';

/*
 * The Kitfile editor's two views (in the main area): the YAML tab (live validation while typing,
 * comments kept on save, unsaved form edits carried over) and the form's own fields (parameters as
 * JSON, suggestions, Browse…). Needs: PUT/GET /kitlab/kitfile, POST /kitfile/validate, GET /schema.
 */
test.use({ autoGoto: false });

test('the YAML tab validates while typing and keeps comments on save', async ({
  page,
  request
}, testInfo) => {
  const panel = await KitlabPanel.openDemoKitfile(page, request, testInfo);
  await expect(panel.field('root_package_name')).toHaveValue('churn');

  await panel.editor.getByRole('button', { name: 'YAML', exact: true }).click();
  // JupyterLab's CodeMirror editor, with line numbers.
  await expect(panel.yamlEditor).toBeVisible();
  await panel.expectYaml(DEMO_KITFILE);
  await expect(
    panel.editor.locator('.jp-kitlab-yaml-editor .cm-lineNumbers')
  ).toBeVisible();
  await panel.fillYaml(
    DEMO_KITFILE.replace(
      '  name: churn\nmodel',
      '  name: churn\n  licence: MIT\nmodel'
    )
  );
  const problem = panel.editor.locator('.jp-kitlab-problem');
  await expect(problem).toContainText('did you mean license', {
    timeout: 10000
  });
  await expect(problem).toContainText('5:3');
  // The problem is also marked on its line: a gutter marker and the span underlined.
  await expect(
    panel.editor.locator('.jp-kitlab-yaml-editor .cm-lint-marker-error')
  ).toHaveCount(1);
  await expect(
    panel.editor.locator('.jp-kitlab-yaml-editor .cm-lintRange-error')
  ).toContainText('licence');
  await panel.screenshot('yaml-problem');

  await panel.fillYaml(
    DEMO_KITFILE.replace(
      '  name: churn\nmodel',
      '  name: churn\n  license: MIT\nmodel'
    )
  );
  await expect(problem).toHaveCount(0, { timeout: 10000 });
  await expect(
    panel.editor.locator('.jp-kitlab-yaml-editor .cm-lint-marker-error')
  ).toHaveCount(0);
  await panel.save();
  const reread = await request.get('/kitlab/kitfile?path=demo');
  const document = (await reread.json()) as { text: string };
  expect(document.text).toContain('# Kept by kitlab: a comment the user wrote');
  expect(document.text).toContain('license: MIT');
  await panel.screenshot('yaml-saved');
});

test('form edits carry to the YAML tab, and parameters are edited as JSON', async ({
  page,
  request
}, testInfo) => {
  const panel = await KitlabPanel.openDemoKitfile(page, request, testInfo);

  // Parameters (under "More fields"): JSON that does not parse is flagged where it is typed and
  // changes nothing.
  await panel.showMoreFields();
  const parameters = panel.field('root_model_parameters');
  await parameters.fill('{"epochs": 5,');
  await expect(
    panel.editor.locator('.jp-kitlab-parameters [role="alert"]')
  ).toBeVisible();
  await expect(panel.kitfileStatus).toHaveText('Saved');
  await parameters.fill('{"epochs": 5, "lr": 0.01}');
  await expect(
    panel.editor.locator('.jp-kitlab-parameters [role="alert"]')
  ).toHaveCount(0);
  await expect(panel.kitfileStatus).toHaveText('Unsaved changes');
  await panel.field('root_package_version').fill('1.10');
  await parameters.scrollIntoViewIfNeeded();
  await panel.screenshot('form-parameters');

  // The YAML tab shows the unsaved edits laid into the file, the user's comment kept.
  await panel.editor.getByRole('button', { name: 'YAML', exact: true }).click();
  await panel.expectYaml(/# Kept by kitlab: a comment the user wrote/);
  await panel.expectYaml(/version: '1\.10'/);
  await panel.expectYaml(/epochs: 5/);
  await panel.screenshot('form-edits-in-yaml');

  await panel.save();
  const reread = await request.get('/kitlab/kitfile?path=demo');
  const document = (await reread.json()) as {
    kitfile: { package: { version: string }; model: { parameters: unknown } };
  };
  expect(document.kitfile.package.version).toBe('1.10');
  expect(document.kitfile.model.parameters).toEqual({ epochs: 5, lr: 0.01 });
});

test('the form suggests licenses and frameworks, and path fields browse the folder', async ({
  page,
  request
}, testInfo) => {
  const panel = await KitlabPanel.openDemoKitfile(page, request, testInfo);

  // License and framework fields offer their vocabularies (SPDX ids, frameworks) as you type.
  for (const [field, list, value] of [
    ['root_package_license', 'kitlab-suggest-licenses', 'Apache-2.0'],
    ['root_model_framework', 'kitlab-suggest-frameworks', 'scikit-learn']
  ]) {
    await expect(panel.field(field)).toHaveAttribute('list', list);
    await expect(
      panel.editor.locator(`#${list} option[value="${value}"]`)
    ).toHaveCount(1);
  }

  // The model path's Browse… opens a file dialog inside demo/; the pick is written relative to it.
  const path = panel.field('root_model_path');
  await path.fill('');
  await expect(path).toHaveValue('');
  await panel.editor.getByRole('button', { name: 'Browse… Path' }).click();
  const dialog = page.locator('.jp-Dialog');
  await expect(dialog).toContainText('Pick a file or folder');
  await dialog
    .locator('.jp-DirListing-item', { hasText: 'models' })
    .first()
    .dblclick();
  await dialog
    .locator('.jp-DirListing-item', { hasText: 'churn.joblib' })
    .click();
  await panel.screenshot('browse-dialog');
  await dialog.getByRole('button', { name: 'Select' }).click();
  await expect(dialog).toHaveCount(0);
  await expect(path).toHaveValue('models/churn.joblib');
  await expect(panel.kitfileStatus).toHaveText('Unsaved changes');
  await expect(panel.fieldErrors('root_model_path')).toHaveCount(0, {
    timeout: 10000
  });
});

test('the YAML tab is a CodeMirror editor in the light and the dark theme', async ({
  page,
  request
}, testInfo) => {
  test.setTimeout(90000);
  const colours: Record<string, string> = {};
  const panel = await KitlabPanel.openDemoKitfile(page, request, testInfo);
  for (const theme of ['light', 'dark'] as const) {
    await setTheme(page, theme);
    await panel.editor
      .getByRole('button', { name: 'YAML', exact: true })
      .click();
    await panel.fillYaml(DEMO_KITFILE);
    await panel.expectYaml(DEMO_KITFILE);
    // A warning (not an SPDX license) and an error (a missing file), each marked on its line.
    await panel.fillYaml(
      DEMO_KITFILE.replace(
        '  name: churn\nmodel',
        '  name: churn\n  license: not a license\nmodel'
      ).replace('models/churn.joblib', 'models/missing.joblib')
    );
    const editor = panel.editor.locator('.jp-kitlab-yaml-editor');
    await expect(editor.locator('.cm-lint-marker-error')).toHaveCount(1, {
      timeout: 10000
    });
    await expect(editor.locator('.cm-lint-marker-warning')).toHaveCount(1);
    await expect(editor.locator('.cm-lintRange-warning')).toContainText(
      'not a license'
    );
    await expect(editor.locator('.cm-lineNumbers')).toContainText('8');
    await panel.editor.locator('.jp-kitlab-yaml').scrollIntoViewIfNeeded();
    await panel.screenshot(`yaml-${theme}`);
    // Hovering a marked span shows its message.
    await editor.locator('.cm-lintRange-error').hover();
    await expect(page.locator('.cm-tooltip-lint')).toContainText(
      'does not exist'
    );
    await panel.screenshot(`yaml-${theme}-hover`);
    await page.mouse.move(0, 0);
    // The editor takes the theme's colours (JupyterLab's CSS variables), not fixed ones.
    colours[theme] = await editor
      .locator('.cm-editor')
      .evaluate(node => getComputedStyle(node).backgroundColor);
  }
  expect(colours.light).not.toBe(colours.dark);
});

test('a warning on a form field is not styled as an error', async ({
  page,
  request
}, testInfo) => {
  const panel = await KitlabPanel.openDemoKitfile(page, request, testInfo);
  // Not an SPDX license: a warning (packing still works). A missing file: an error.
  await panel.field('root_package_license').fill('not a license');
  await panel.field('root_model_path').fill('models/missing.joblib');
  const warning = panel
    .fieldErrors('root_package_license')
    .locator('li.jp-kitlab-field-warning');
  const error = panel.fieldErrors('root_model_path').locator('li.text-danger');
  await expect(warning).toContainText('Warning: not a valid SPDX license', {
    timeout: 10000
  });
  await expect(error).toContainText('does not exist', { timeout: 10000 });
  await expect(
    panel.fieldErrors('root_package_license').locator('li.text-danger')
  ).toHaveCount(0);
  const colour = (item: typeof warning) =>
    item.evaluate(node => getComputedStyle(node).color);
  expect(await colour(warning)).not.toBe(await colour(error));
  // The bar beside the field too: warning colour for a warning, error colour for an error.
  const bar = (id: string) =>
    panel
      .field(id)
      .locator(
        'xpath=ancestor::*[contains(@class,"form-group")][1]/*[contains(@class,"jp-errorIndicator")]'
      )
      .evaluate(node => getComputedStyle(node).backgroundColor);
  expect(await bar('root_package_license')).not.toBe(
    await bar('root_model_path')
  );
  // A license named as people say it: the warning suggests the SPDX id it means.
  await panel.field('root_package_license').fill('Apache 2');
  await expect(warning).toContainText("did you mean 'Apache-2.0'?", {
    timeout: 10000
  });
  await panel.field('root_package_license').scrollIntoViewIfNeeded();
  await panel.screenshot('form-warning');
});

test('Pack… says it saves unsaved edits, and saves only when started', async ({
  page,
  request
}, testInfo) => {
  test.setTimeout(90000);
  const panel = await KitlabPanel.openDemoKitfile(page, request, testInfo);
  await panel.field('root_package_version').fill('2.0.0');
  await expect(panel.kitfileStatus).toHaveText('Unsaved changes');
  const onDisk = async () =>
    (
      (await (await request.get('/kitlab/kitfile?path=demo')).json()) as {
        text: string;
      }
    ).text;

  // Cancel: the file on disk is as it was, the edit still unsaved.
  const pack = panel.editor.getByRole('button', { name: 'Pack…', exact: true });
  await pack.click();
  const dialog = page.locator('.jp-Dialog');
  await expect(dialog.getByTestId('kitlab-pack-saves')).toContainText(
    'Start saves your unsaved Kitfile edits first'
  );
  await panel.screenshot('pack-saves-first');
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await expect(dialog).toHaveCount(0);
  expect(await onDisk()).toBe(DEMO_KITFILE);
  await expect(panel.kitfileStatus).toHaveText('Unsaved changes');

  // Start: saved, then packed.
  // A repository of its own: package.spec expects one kit named churn in the shared store.
  await panel.start(
    await panel.openPackDialog(false, {
      registry: '',
      repository: 'saved-first',
      tag: 'v1'
    })
  );
  expect(await onDisk()).toContain('version: 2.0.0');
  await panel.expectJobSucceeded(panel.latestJob);
  await expect(panel.kitfileStatus).toHaveText('Saved');
  expect((await request.delete('/kitlab/kits/saved-first:v1')).status()).toBe(
    204
  );
});
