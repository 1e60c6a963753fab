import { expect, test } from '@jupyterlab/galata';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import { KitlabPanel, runJob } from './kitlab-panel';
import { useRegistry } from './registry-server';

/*
 * The way back: a kit packed by the kit CLI is pulled from a registry into a new notebook. The real
 * kit cannot be installed here, so tools/kitref (kit v1.7.0's pack on kit's own libraries, built by
 * `make test` into .bin/) packs it into the server's store, kitlab pushes it to Debian's
 * docker-registry (no auth, a free loopback port), the local copy is removed, and the Pull dialog
 * pulls it back and opens the generated notebook.
 */
test.use({ autoGoto: false });

const KITREF = path.resolve(__dirname, '..', '..', '.bin', 'kitref');
const registry = useRegistry();

test('a kit packed by kit is pulled from a registry into a new notebook', async ({
  page,
  request
}, testInfo) => {
  expect(fs.existsSync(KITREF), `${KITREF} is built by \`make test\``).toBe(
    true
  );
  const { kitopsHome } = (await (
    await request.get('/kitlab/version')
  ).json()) as {
    kitopsHome: string;
  };

  // Pack with the kit stand-in, straight into the store the server uses.
  const context = fs.mkdtempSync(
    path.join(os.tmpdir(), 'kitlab-ui-kit-context-')
  );
  fs.mkdirSync(path.join(context, 'data'));
  fs.writeFileSync(
    path.join(context, 'data', 'iris.csv'),
    'sepal,petal,species\n5.1,1.4,setosa\n'
  );
  fs.writeFileSync(
    path.join(context, 'Kitfile'),
    'manifestVersion: 1.0.0\npackage:\n  name: iris\n  description: Packed by kit\n' +
      'datasets:\n  - name: iris\n    path: data/iris.csv\n    description: Iris measurements\n'
  );
  execFileSync(KITREF, ['pack', context, '-t', 'kit-made:v1'], {
    env: { ...process.env, KITOPS_HOME: kitopsHome }
  });

  // kitlab pushes it to the registry, then the local copy goes: the pull must really fetch it.
  const reference = `${registry.host}/team/iris:v1`;
  await runJob(request, 'push', {
    reference: 'kit-made:v1',
    destination: reference,
    plainHttp: true
  });
  expect((await request.delete('/kitlab/kits/kit-made:v1')).status()).toBe(204);

  const panel = await KitlabPanel.load(page, testInfo);
  const dialog = await panel.openPullDialog(reference);
  await expect(dialog.locator('input[name="destination"]')).toHaveValue(
    'kits/iris'
  );
  await expect(dialog.locator('input[name="plainHttp"]')).toBeChecked();
  await dialog.getByRole('button', { name: 'Pull and open' }).click();
  // The job is shown as the pull the user asked for (it unpacks too), named by the kit.
  await expect(panel.latestJob).toContainText(`Pull ${reference}`, {
    timeout: 30000
  });

  const notebookTab = page.locator('.lm-TabBar-tab', { hasText: '.ipynb' });
  await expect(notebookTab).toBeVisible({ timeout: 60000 });
  await expect(page.locator('.jp-Notebook')).toContainText(reference);
  await expect(page.locator('.jp-Notebook')).toContainText('Iris measurements');
  await panel.screenshot('pulled-from-registry');

  // The header reads in a narrow main area (about 480 px): its facts wrap, the full digest included
  // (it copies as one word), and nothing overflows the cell.
  await page.setViewportSize({ width: 800, height: 720 });
  await page.sidebar.setWidth(250, 'left');
  const header = page.locator('.jp-Notebook .jp-RenderedMarkdown').first();
  await expect(header.locator('code').nth(1)).toHaveText(
    /^sha256:[0-9a-f]{64}$/
  );
  await expect
    .poll(() => header.evaluate(cell => cell.scrollWidth - cell.clientWidth))
    .toBeLessThanOrEqual(0);
  await panel.screenshot('pulled-notebook-narrow');

  // The pull kept the kit in the local store: pulling it again unpacks it from there, and the dialog
  // says so instead of a download size. Plain HTTP is left out, as nothing reaches the registry...
  const again = await panel.openPullDialog(reference);
  await expect(again.getByTestId('kitlab-pull-size')).toHaveText(
    /^In the local store: nothing to download \(\d/
  );
  await expect(again.locator('input[name="plainHttp"]')).toHaveCount(0);
  // ...unless the kit's signature is to be checked: the registry holds it.
  await again.locator('input[name="verify"]').check();
  await expect(again.locator('input[name="plainHttp"]')).toBeChecked();
  await again.getByRole('button', { name: 'Cancel' }).click();
  await expect(again).toHaveCount(0);

  // Kits tab → Open in notebook opens the same dialog, named for what it does.
  await panel.showTab('Kits');
  await panel
    .kit(`${registry.host}/team/iris`)
    .getByRole('button', { name: 'Open in notebook' })
    .click();
  const open = page.locator('.jp-Dialog');
  await expect(open.locator('.jp-Dialog-header')).toHaveText(
    'Open ModelKit in a notebook'
  );
  await expect(open.getByTestId('kitlab-pull-size')).toHaveText(
    /^In the local store: nothing to download \(\d/
  );
  await expect(open.locator('input[name="reference"]')).toHaveValue(reference);
  await expect(open.locator('input[name="plainHttp"]')).toHaveCount(0);
  await expect(
    open.getByRole('button', { name: 'Open in notebook' })
  ).toBeVisible();
  await expect(
    open.getByRole('button', { name: 'Pull and open' })
  ).toHaveCount(0);
  await panel.screenshot('open-stored-kit-dialog');
  await open.getByRole('button', { name: 'Cancel' }).click();
});
