import { expect, test } from '@jupyterlab/galata';

import { KitlabPanel } from './kitlab-panel';
import { useRegistry } from './registry-server';

/*
 * Pack & push to a real registry that wants a login (Debian's docker-registry with htpasswd, started
 * here on a free loopback port): the push fails with auth_required, the login dialog appears, and
 * the job is retried after logging in. Then the remote tags are listed and the login is removed.
 * Needs: GET /scan, PUT /kitfile, POST /jobs (pack-push; error.code auth_required), POST/GET/DELETE
 * /registries, GET /remote.
 */
test.use({ autoGoto: false });

const USER = 'kitlab';
const PASSWORD = 'ui-test-secret-9f3a';

const registry = useRegistry({ login: { user: USER, password: PASSWORD } });

test('pack & push asks for a login, then pushes; tags and logout work', async ({
  page
}, testInfo) => {
  test.setTimeout(120000);
  const host = registry.host;
  const panel = await KitlabPanel.load(page, testInfo);
  await panel.scanFolder('demo');
  await expect(panel.form).toBeVisible();

  // Pack & push (unsaved drafts are saved first).
  await panel.packPush(
    { registry: host, repository: 'org/churn', tag: 'v1' },
    async dialog => {
      await expect(dialog.locator('input[name="push"]')).toBeChecked();
      await expect(dialog.locator('input[name="plainHttp"]')).toBeChecked();
      await panel.screenshot('push-dialog');
    }
  );

  // The registry answers 401: a login dialog for that host appears.
  const login = page.locator('.jp-Dialog', { hasText: 'Log in to a registry' });
  await expect(login).toBeVisible({ timeout: 60000 });
  await expect(login.locator('input[name="host"]')).toHaveValue(host);
  await login.locator('input[name="username"]').fill(USER);
  await login.locator('input[name="password"]').fill(PASSWORD);
  await panel.screenshot('push-login');
  await login.getByRole('button', { name: 'Log in' }).click();

  // The job is retried and succeeds.
  await expect(login).toHaveCount(0, { timeout: 30000 });
  const pushes = panel.root.locator('.jp-kitlab-job', {
    hasText: `${host}/org/churn:v1`
  });
  await expect(pushes).toHaveCount(2);
  await expect(pushes.nth(1).getByTestId('kitlab-job-state')).toHaveText(
    'failed'
  );
  const retried = pushes.first();
  await panel.expectJobSucceeded(retried);
  await panel.screenshot('push-succeeded');

  // The login is listed, and the password is never shown.
  await panel.showTab('Registries');
  const entry = panel.root.locator(`.jp-kitlab-registry[data-host="${host}"]`);
  await expect(entry).toContainText(`logged in as ${USER}`);
  expect(await page.content()).not.toContain(PASSWORD);

  // The remote repository's tags.
  await panel.expectRemoteTag(`${host}/org/churn`, 'v1');
  await panel.screenshot('remote-tags');

  // Log out.
  await panel.showTab('Registries');
  await entry.getByRole('button', { name: 'Log out' }).click();
  await expect(entry.getByRole('button', { name: 'Log out' })).toHaveCount(0);
});

test('a failed login keeps the registry and username, never the password', async ({
  page
}, testInfo) => {
  const host = registry.host;
  const panel = await KitlabPanel.load(page, testInfo, { tab: 'Registries' });
  await panel.root.getByRole('button', { name: 'Log in…' }).click();
  const login = page.locator('.jp-Dialog', { hasText: 'Log in to a registry' });
  await login.locator('input[name="host"]').fill(host);
  await login.locator('input[name="username"]').fill(USER);
  await login.locator('input[name="password"]').fill('wrong-password');
  await login.getByRole('button', { name: 'Log in' }).click();

  // The registry says no: the dialog asks again with what was typed, the password cleared.
  await expect(login).toContainText('Login failed', { timeout: 30000 });
  await expect(login.locator('input[name="host"]')).toHaveValue(host);
  await expect(login.locator('input[name="username"]')).toHaveValue(USER);
  await expect(login.locator('input[name="password"]')).toHaveValue('');
  await expect(login.locator('input[name="plainHttp"]')).toBeChecked();
  await panel.screenshot('login-failed');

  await login.locator('input[name="password"]').fill(PASSWORD);
  await login.getByRole('button', { name: 'Log in' }).click();
  await expect(login).toHaveCount(0, { timeout: 30000 });
  const entry = panel.root.locator(`.jp-kitlab-registry[data-host="${host}"]`);
  await expect(entry).toContainText(`logged in as ${USER}`);
  await entry.getByRole('button', { name: 'Log out' }).click();
  await expect(entry.getByRole('button', { name: 'Log out' })).toHaveCount(0);
});
