import { expect, IJupyterLabPageFixture } from '@jupyterlab/galata';
import { APIRequestContext, Locator, TestInfo } from '@playwright/test';

export type PanelTab = 'Package' | 'Jobs' | 'Kits' | 'Registries';

/** Where Pack… or Pack & push… puts a kit: the dialog's three fields (registry '' = the local store). */
export interface IKitTarget {
  registry: string;
  repository: string;
  tag: string;
}

/** The Kitfile the editor specs write into demo/ (a comment of the user's, kept on save). */
export const DEMO_KITFILE = `# Kept by kitlab: a comment the user wrote
manifestVersion: 1.0.0
package:
  name: churn
model:
  name: churn
  path: models/churn.joblib
`;

// Hand-written pickle opcodes calling posix.system: never unpickled, only scanned (a pack warns).
export const DANGEROUS_PICKLE = Buffer.from(
  "cposix\nsystem\n(S'true'\ntR.",
  'latin1'
);

/** A notebook's JSON with these cells (code cells numbered as if run in order). */
export function notebookJson(cells: ['markdown' | 'code', string][]): string {
  let count = 0;
  return JSON.stringify({
    nbformat: 4,
    nbformat_minor: 5,
    metadata: {
      kernelspec: {
        name: 'python3',
        display_name: 'Python 3',
        language: 'python'
      }
    },
    cells: cells.map(([type, source], index) =>
      type === 'markdown'
        ? { id: `c${index}`, cell_type: 'markdown', metadata: {}, source }
        : {
            id: `c${index}`,
            cell_type: 'code',
            metadata: {},
            source,
            outputs: [],
            execution_count: ++count
          }
    )
  });
}

const DOCS_IMAGES = `${__dirname}/../../docs/images`;

/** Page object for the kitlab ModelKit sidebar panel. */
export class KitlabPanel {
  constructor(
    private readonly page: IJupyterLabPageFixture,
    private readonly testInfo: TestInfo
  ) {}

  /** Load JupyterLab (in `theme`, if given) and open the panel, on `tab` if given. */
  static async load(
    page: IJupyterLabPageFixture,
    testInfo: TestInfo,
    options: { theme?: 'light' | 'dark'; tab?: PanelTab } = {}
  ): Promise<KitlabPanel> {
    await page.goto();
    if (options.theme) {
      await setTheme(page, options.theme);
    }
    const panel = new KitlabPanel(page, testInfo);
    await panel.open();
    if (options.tab) {
      await panel.showTab(options.tab);
    }
    return panel;
  }

  /** Write `text` as demo/Kitfile, then open it in the Kitfile editor, saved (no other editor open). */
  static async openDemoKitfile(
    page: IJupyterLabPageFixture,
    request: APIRequestContext,
    testInfo: TestInfo,
    text = DEMO_KITFILE
  ): Promise<KitlabPanel> {
    await writeWorkspace(request, 'demo', { Kitfile: text });
    await page.goto();
    const panel = new KitlabPanel(page, testInfo);
    await panel.closeEditors();
    await panel.packageFolder('demo');
    await expect(panel.kitfileStatus).toHaveText('Saved', { timeout: 15000 });
    return panel;
  }

  get tab(): Locator {
    return this.page.locator('.lm-TabBar-tab[data-id="kitlab-panel"]');
  }

  get root(): Locator {
    return this.page.locator('#kitlab-panel');
  }

  /** Open the panel, wide enough for the Kitfile form (a user would drag the sidebar wider too). */
  async open(): Promise<void> {
    if (!(await this.root.isVisible())) {
      await this.tab.click();
    }
    await expect(this.root).toBeVisible();
    await this.page.sidebar.setWidth(420, 'left');
  }

  /** Switch the panel to one of its tabs. */
  async showTab(name: PanelTab): Promise<void> {
    await this.root.getByRole('tab', { name, exact: false }).first().click();
    await expect(
      this.root.getByRole('tab', { name, exact: false }).first()
    ).toHaveAttribute('aria-selected', 'true');
  }

  // ------------------------------------------------------------------------------ package flow

  /** The Kitfile editor shown in the main area (the package flow happens there). */
  get editor(): Locator {
    return this.page.locator(
      '#jp-main-dock-panel .jp-kitlab-editor-widget:not(.lm-mod-hidden)'
    );
  }

  get scanReport(): Locator {
    return this.editor.getByTestId('kitlab-scan-report');
  }

  get form(): Locator {
    return this.editor.getByTestId('kitlab-kitfile-form');
  }

  get kitfileStatus(): Locator {
    return this.editor.getByTestId('kitlab-kitfile-status');
  }

  /** Close every document in the main area without saving (so a spec starts from disk). */
  async closeEditors(): Promise<void> {
    await this.command('application:close-all');
    const discard = this.page.locator('.jp-Dialog').getByRole('button', {
      name: /Discard/
    });
    while (await discard.count()) {
      await discard.first().click();
    }
  }

  /** One entry of the scan report, by path. */
  entry(path: string): Locator {
    return this.scanReport.locator(`.jp-kitlab-entry[data-path="${path}"]`);
  }

  /**
   * Start the Package flow on `folder` as the toolbar button and context menu do (a command): its
   * Kitfile opens in the main-area editor.
   */
  async packageFolder(folder: string): Promise<void> {
    await this.command('kitlab:package-folder', { path: folder });
    await expect(this.editor).toBeVisible({ timeout: 30000 });
  }

  /**
   * Execute a JupyterLab command as a menu or toolbar button does, and wait until it is done;
   * with `wait` false, only start it (a command that asks in a dialog is done when the dialog closes).
   */
  async command(
    id: string,
    args: Record<string, string> = {},
    wait = true
  ): Promise<void> {
    await this.page.evaluate(
      async ([command, commandArgs, untilDone]) => {
        const app = (
          window as unknown as {
            jupyterapp: {
              commands: {
                execute(id: string, args: unknown): Promise<unknown>;
              };
            };
          }
        ).jupyterapp;
        const done = app.commands.execute(command, commandArgs);
        if (untilDone) {
          // The command's result (a widget) is not sent back to the test.
          await done;
        }
      },
      [id, args, wait] as const
    );
  }

  /** Type a folder into the Package tab and open its Kitfile editor, scanned. */
  async scanFolder(folder: string): Promise<void> {
    await this.showTab('Package');
    await this.root.locator('input[name="folder"]').fill(folder);
    await this.root
      .getByRole('button', { name: 'Open Kitfile editor', exact: true })
      .click();
    await expect(this.scanReport).toBeVisible({ timeout: 30000 });
  }

  /** A form input by its rjsf id (`root_package_version`, `root_datasets_0_license`). */
  field(id: string): Locator {
    return this.editor.locator(`.jp-kitlab-form #${id}`);
  }

  /** Open the form's "More fields" (prompts, MCP servers, remote paths, parameters). */
  async showMoreFields(): Promise<void> {
    const more = this.editor.locator('details.jp-kitlab-more');
    if ((await more.getAttribute('open')) === null) {
      await more.locator('summary').click();
    }
    await expect(this.editor.getByTestId('kitlab-kitfile-more')).toBeVisible();
  }

  /** The error messages rjsf shows for a field. */
  fieldErrors(id: string): Locator {
    return this.field(id)
      .locator('xpath=ancestor::*[contains(@class,"form-group")][1]')
      .locator('.error-detail, .text-danger');
  }

  /** The YAML tab's editor (JupyterLab's CodeMirror; its content element carries the label). */
  get yamlEditor(): Locator {
    return this.editor.getByLabel('Kitfile YAML');
  }

  /** The text in the YAML tab's editor, line by line as CodeMirror shows it. */
  async yamlText(): Promise<string> {
    return this.yamlEditor.evaluate(content =>
      Array.from(content.querySelectorAll('.cm-line'))
        .map(line => line.textContent ?? '')
        .join('\n')
    );
  }

  /** Wait until the YAML tab's editor holds `expected` (a string: all of it; a RegExp: a match). */
  async expectYaml(expected: string | RegExp): Promise<void> {
    const text = expect.poll(() => this.yamlText(), { timeout: 10000 });
    if (typeof expected === 'string') {
      await text.toBe(expected);
    } else {
      await text.toMatch(expected);
    }
  }

  /** Replace the YAML tab's text as a user would: select all, then type (paste) the new text. */
  async fillYaml(text: string): Promise<void> {
    await this.yamlEditor.click();
    await this.page.keyboard.press('Control+a');
    await this.page.keyboard.insertText(text);
  }

  async save(): Promise<void> {
    await this.editor.getByRole('button', { name: 'Save Kitfile' }).click();
    await expect(this.kitfileStatus).toHaveText('Saved');
  }

  /** JupyterLab's dialog (one is open at a time). */
  get dialog(): Locator {
    return this.page.locator('.jp-Dialog');
  }

  /**
   * Open the Kitfile editor's Pack… (or, with `push`, Pack & push…) dialog and fill in where the kit
   * goes; the dialog, for the caller's other choices before `start`.
   */
  async openPackDialog(push: boolean, target: IKitTarget): Promise<Locator> {
    // As a user would: once the editor says the Kitfile is checked (a press during the check once
    // opened no dialog in defects.spec, cause not found).
    await expect(this.kitfileStatus).not.toHaveText('Checking…', {
      timeout: 15000
    });
    await this.editor
      .getByRole('button', {
        name: push ? 'Pack & push…' : 'Pack…',
        exact: true
      })
      .click();
    const dialog = this.dialog;
    // The dialog opens once the Kitfile is saved and its plan read (the secrets it would carry).
    await expect(dialog).toBeVisible({ timeout: 30000 });
    await dialog.locator('input[name="registry"]').fill(target.registry);
    await dialog.locator('input[name="repository"]').fill(target.repository);
    await dialog.locator('input[name="tag"]').fill(target.tag);
    return dialog;
  }

  /** The problem a dialog shows under its field `name` (none when the value is fine). */
  fieldProblem(name: string): Locator {
    return this.dialog
      .locator('.jp-kitlab-field', {
        has: this.page.locator(`[name="${name}"]`)
      })
      .locator('.jp-kitlab-field-error');
  }

  /** Press the Pack dialog's Start; it closes (the job is started). */
  async start(dialog: Locator): Promise<void> {
    await dialog.getByRole('button', { name: 'Start' }).click();
    await expect(dialog.getByTestId('kitlab-pack-reference')).toHaveCount(0);
  }

  /** Pack from the Kitfile editor into the local store under `repository:tag`. */
  async pack(repository: string, tag: string): Promise<void> {
    const dialog = await this.openPackDialog(false, {
      registry: '',
      repository,
      tag
    });
    await expect(dialog.getByTestId('kitlab-pack-reference')).toContainText(
      `${repository}:${tag}`
    );
    await this.screenshot('pack-dialog');
    await this.start(dialog);
  }

  /**
   * Pack & push from the Kitfile editor to `target`, with `choose` run on the filled-in dialog
   * before Start (more options, assertions, a screenshot); the job's row, by its reference.
   */
  async packPush(
    target: IKitTarget,
    choose: (dialog: Locator) => Promise<void> = async () => undefined
  ): Promise<Locator> {
    const dialog = await this.openPackDialog(true, target);
    await choose(dialog);
    await this.start(dialog);
    return this.root
      .locator('.jp-kitlab-job', {
        hasText: `${target.registry}/${target.repository}:${target.tag}`
      })
      .first();
  }

  /** Open the Pull dialog (the kitlab:pull command) and type `reference`; the dialog. */
  async openPullDialog(reference: string): Promise<Locator> {
    await this.command('kitlab:pull', {}, false);
    const dialog = this.dialog;
    await expect(dialog).toBeVisible();
    await dialog.locator('input[name="reference"]').fill(reference);
    return dialog;
  }

  // ------------------------------------------------------------------------------ jobs and kits

  /** The newest job row. */
  get latestJob(): Locator {
    return this.root.locator('.jp-kitlab-job').first();
  }

  /**
   * Wait until a job row ends and assert it succeeded; on failure the message carries the row's text
   * (the server's error), not just "failed".
   */
  async expectJobSucceeded(job: Locator, timeout = 60000): Promise<void> {
    // Pin the row by id: "the latest job" may change while we wait.
    const id = await job.getAttribute('data-job-id');
    const row = this.root.locator(`.jp-kitlab-job[data-job-id="${id}"]`);
    const state = row.getByTestId('kitlab-job-state');
    await expect(state).toHaveText(/succeeded|failed|cancelled|interrupted/, {
      timeout
    });
    const text = (await row.textContent()) ?? '';
    expect(await state.textContent(), `job ended: ${text}`).toBe('succeeded');
  }

  /** List a remote repository's tags from the Kits tab and wait until `tag` is among them. */
  async expectRemoteTag(repository: string, tag: string): Promise<void> {
    await this.showTab('Kits');
    await this.root.locator('input[name="repository"]').fill(repository);
    await this.root.getByRole('button', { name: 'List tags' }).click();
    await expect(this.root.locator('.jp-kitlab-remote-tags')).toContainText(
      tag,
      { timeout: 30000 }
    );
  }

  kit(repository: string): Locator {
    return this.root.locator(`.jp-kitlab-kit[data-repository="${repository}"]`);
  }

  /** Save a screenshot of the whole page with the test's other outputs. */
  async screenshot(name: string): Promise<string> {
    const path = this.testInfo.outputPath(`${name}.png`);
    await this.page.screenshot({ path });
    return path;
  }

  /**
   * A screenshot the README shows. Saved with the test's outputs on every run, and written to
   * docs/images only by `make screenshots` (KITLAB_SCREENSHOTS=1), so `make test` never rewrites
   * tracked files (docs/building.md, "Screenshots").
   */
  async docsScreenshot(name: string): Promise<void> {
    const path =
      process.env.KITLAB_SCREENSHOTS === '1'
        ? `${DOCS_IMAGES}/${name}.png`
        : this.testInfo.outputPath(`docs-${name}.png`);
    await this.page.screenshot({ path });
  }
}

/**
 * Write `files` (path relative to `folder` → text, or bytes sent as base64) into the server root
 * through the contents API, creating folders on the way: a workspace a spec owns.
 */
export async function writeWorkspace(
  request: APIRequestContext,
  folder: string,
  files: Record<string, string | Buffer>
): Promise<void> {
  const made = new Set<string>();
  for (const [name, content] of Object.entries(files)) {
    const parts = `${folder}/${name}`.split('/');
    for (let i = 1; i < parts.length; i++) {
      const dir = parts.slice(0, i).join('/');
      if (!made.has(dir)) {
        made.add(dir);
        const created = await request.put(`/api/contents/${dir}`, {
          data: { type: 'directory' }
        });
        expect(created.ok(), await created.text()).toBe(true);
      }
    }
    const binary = Buffer.isBuffer(content);
    const saved = await request.put(`/api/contents/${folder}/${name}`, {
      data: {
        type: 'file',
        format: binary ? 'base64' : 'text',
        content: binary ? content.toString('base64') : content
      }
    });
    expect(saved.ok(), await saved.text()).toBe(true);
  }
}

/** Start a job through the REST API and wait until it succeeds (its error otherwise). */
export async function runJob(
  request: APIRequestContext,
  kind: string,
  params: Record<string, unknown>
): Promise<{ id: string } & Record<string, unknown>> {
  const created = await request.post('/kitlab/jobs', {
    data: { kind, params }
  });
  expect(created.status(), await created.text()).toBe(202);
  const { id } = (await created.json()) as { id: string };
  let job: { id: string } & Record<string, unknown> = { id };
  await expect
    .poll(
      async () => {
        job = (await (
          await request.get(`/kitlab/jobs/${id}`)
        ).json()) as typeof job;
        return job.state;
      },
      { timeout: 60000 }
    )
    .toMatch(/succeeded|failed|cancelled|interrupted/);
  expect(job.state, JSON.stringify(job.error)).toBe('succeeded');
  return job;
}

/** A file's text in the server root (contents API). */
export async function readText(
  request: APIRequestContext,
  path: string
): Promise<string> {
  const response = await request.get(`/api/contents/${path}?content=1`);
  expect(response.ok(), await response.text()).toBe(true);
  return ((await response.json()) as { content: string }).content;
}

/**
 * The server root on disk (JupyterLab's page config names it): for files the contents API refuses to
 * write, such as hidden ones (`.env`, `.kitignore`).
 */
export async function serverRoot(
  page: IJupyterLabPageFixture
): Promise<string> {
  const root = await page.evaluate(
    () =>
      (
        JSON.parse(
          document.getElementById('jupyter-config-data')?.textContent ?? '{}'
        ) as { serverRoot?: string }
      ).serverRoot ?? ''
  );
  expect(root).not.toBe('');
  return root.replace(/^~/, process.env.HOME ?? '~');
}

/** Switch JupyterLab's theme. */
export async function setTheme(
  page: IJupyterLabPageFixture,
  theme: 'light' | 'dark'
): Promise<void> {
  if (theme === 'dark') {
    await page.theme.setDarkTheme();
  } else {
    await page.theme.setLightTheme();
  }
}

/**
 * The characters of `element`'s text that start a new line as rendered, each with the one before
 * it: a reference should only break after one of `/ : @ -` while its path segments fit the width.
 */
export async function lineBreaks(
  element: Locator
): Promise<{ before: string; after: string }[]> {
  return element.evaluate(node => {
    const breaks: { before: string; after: string }[] = [];
    const walker = document.createTreeWalker(node, NodeFilter.SHOW_TEXT);
    const range = document.createRange();
    let top: number | null = null;
    let previous = '';
    for (let text = walker.nextNode(); text; text = walker.nextNode()) {
      const value = text.textContent ?? '';
      for (let i = 0; i < value.length; i++) {
        range.setStart(text, i);
        range.setEnd(text, i + 1);
        const rect = range.getBoundingClientRect();
        if (rect.width === 0 && value[i].trim() === '') {
          continue;
        }
        if (top !== null && rect.top > top + rect.height / 2) {
          breaks.push({ before: previous, after: value[i] });
        }
        top = top === null ? rect.top : Math.max(top, rect.top);
        previous = value[i];
      }
    }
    return breaks;
  });
}
