import { expect, test } from '@jupyterlab/galata';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import { KitlabPanel, runJob } from './kitlab-panel';
import { useRegistry } from './registry-server';

/*
 * Pack & push with "Sign the pushed kit" (docs/trust.md): the server signs the pushed digest with its
 * cosign key (jupyter_server_test_config.py makes one; its password stays in the server's environment),
 * and the real cosign CLI verifies the signature with the public key alone, offline.
 * Needs: GET /scan, POST /jobs (pack-push with sign), the cosign CLI on PATH (make test installs it).
 */
test.use({ autoGoto: false });

const registry = useRegistry();

test('pack & push signs the kit, and cosign verifies it', async ({
  page
}, testInfo) => {
  test.setTimeout(120000);
  const host = registry.host;
  const panel = await KitlabPanel.load(page, testInfo);
  await panel.scanFolder('demo');
  await expect(panel.form).toBeVisible();

  const job = await panel.packPush(
    { registry: host, repository: 'org/signed', tag: 'v1' },
    async dialog => {
      const sign = dialog.locator('input[name="sign"]');
      await expect(sign).not.toBeChecked(); // the signOnPush setting is off by default
      await sign.check();
      await panel.screenshot('sign-dialog');
    }
  );
  await panel.expectJobSucceeded(job, 90000);
  await panel.screenshot('sign-succeeded');

  // The real cosign accepts the signature with the public key only (no transparency log).
  const keys = path.join(
    os.tmpdir(),
    `kitlab-ui-signing-${process.env.KITLAB_UI_PORT || '8888'}`
  );
  const home = path.join(testInfo.outputDir, 'cosign-home');
  fs.mkdirSync(home, { recursive: true });
  // An empty trusted root: cosign then fetches none from its TUF repository (no DNS, no network).
  const trustedRoot = path.join(home, 'trusted_root.json');
  fs.writeFileSync(
    trustedRoot,
    '{"mediaType":"application/vnd.dev.sigstore.trustedroot+json;version=0.1"}'
  );
  const cosign = (...args: string[]) =>
    spawnSync(
      'cosign',
      [
        ...args,
        '--key',
        path.join(keys, 'cosign.pub'),
        '--insecure-ignore-tlog=true',
        '--trusted-root',
        trustedRoot,
        '--allow-http-registry',
        `${host}/org/signed:v1`
      ],
      { encoding: 'utf-8', env: { ...process.env, HOME: home }, timeout: 60000 }
    );
  const verified = cosign('verify');
  expect(verified.status, verified.stderr).toBe(0);
  expect(verified.stdout).toContain('"docker-manifest-digest":"sha256:');
  // The signed push attached the SBOM and the workspace's provenance, as cosign attest stores them.
  for (const type of ['cyclonedx', 'slsaprovenance1']) {
    const attested = cosign('verify-attestation', '--type', type);
    expect(attested.status, attested.stderr).toBe(0);
  }

  // Pull it back with "Verify the signature": the job and the notebook say who signed it.
  const pull = await panel.openPullDialog(`${host}/org/signed:v1`);
  await pull.locator('input[name="verify"]').check();
  await panel.screenshot('verify-dialog');
  await pull.getByRole('button', { name: 'Pull and open' }).click();
  const pulled = panel.root.locator('.jp-kitlab-job', {
    hasText: `Pull ${host}/org/signed:v1`
  });
  await panel.expectJobSucceeded(pulled.first(), 90000);
  await expect(
    pulled.first().getByTestId('kitlab-job-signature')
  ).toContainText('Signature verified: cosign.pub (SHA256:');
  await expect(page.locator('.jp-Notebook')).toContainText(
    'Signature verified',
    { timeout: 60000 }
  );
  await panel.screenshot('verified-pull');

  // The Kits tab: verify the kit on demand, then read its signed SBOM and provenance (light, dark).
  await panel.showTab('Kits');
  const row = panel.root.locator(
    `.jp-kitlab-kit[data-repository="${host}/org/signed"]`
  );
  await expect(row).toBeVisible({ timeout: 30000 });
  await row.getByRole('button', { name: 'Verify signature' }).click();
  await expect(row.locator('.jp-kitlab-verdict-verified')).toHaveText(
    'verified by cosign.pub',
    { timeout: 30000 }
  );
  await panel.screenshot('kits-verified');
  await row.getByRole('button', { name: 'SBOM and provenance…' }).click();
  const report = page.locator('.jp-Dialog .jp-kitlab-trust-report');
  await expect(report).toContainText('What produced it');
  await expect(report).toContainText('packed by');
  await expect(report.getByRole('table', { name: 'Layers' })).toContainText(
    'sha256:'
  );
  await report.getByText(/files with their SHA-256/).click();
  await expect(report.getByRole('table', { name: 'Files' })).toContainText(
    'churn.joblib'
  );
  await panel.screenshot('trust-report-light');
  await page.theme.setDarkTheme();
  await panel.screenshot('trust-report-dark');
  await page.theme.setLightTheme();
  await page
    .locator('.jp-Dialog')
    .getByRole('button', { name: 'Close' })
    .click();

  // Keys in the Registries tab: the administrator's trusted key is listed, and a pair is generated.
  await panel.showTab('Registries');
  const keysView = panel.root.getByRole('region', { name: 'Signing keys' });
  await keysView.getByRole('button', { name: 'Generate key pair…' }).click();
  const generate = keysView.getByRole('form', { name: 'Generate a key pair' });
  await generate.locator('input[name="key-name"]').fill('ui-team');
  await generate.locator('input[name="key-password"]').fill('ui password');
  await generate
    .locator('input[name="key-password-again"]')
    .fill('ui password');
  await generate.getByRole('button', { name: 'Generate' }).click();
  await expect(
    keysView.getByRole('list', { name: 'Your key pairs' })
  ).toContainText('ui-team');
  await expect(
    keysView.getByRole('list', { name: 'Trusted by the administrator' })
  ).toContainText('cosign');
  await panel.screenshot('signing-keys');

  // Pack & push signed with that key: its password goes with the request only, and cosign verifies
  // the kit with its public key (written where kitlab keygen writes, in kit's home on the server).
  await page
    .locator('#jp-main-dock-panel .lm-TabBar-tab', { hasText: 'Kitfile' })
    .first()
    .click();
  const ownJob = await panel.packPush(
    { registry: host, repository: 'org/signed-by-me', tag: 'v1' },
    async own => {
      await own.locator('input[name="sign"]').check();
      await own.locator('select[name="signingKey"]').selectOption('ui-team');
      await own.locator('input[name="keyPassword"]').fill('ui password');
      await panel.screenshot('sign-with-own-key');
    }
  );
  await panel.showTab('Jobs');
  await panel.expectJobSucceeded(ownJob, 90000);
  const store = await panel.root.getByTestId('kitlab-store').innerText();
  const kitHome = path.dirname(store.trim().split(/\s+/).pop()!);
  const ownVerified = spawnSync(
    'cosign',
    [
      'verify',
      '--key',
      path.join(kitHome, 'kitlab', 'keys', 'ui-team.pub'),
      '--insecure-ignore-tlog=true',
      '--trusted-root',
      trustedRoot,
      '--allow-http-registry',
      `${host}/org/signed-by-me:v1`
    ],
    { encoding: 'utf-8', env: { ...process.env, HOME: home }, timeout: 60000 }
  );
  expect(ownVerified.status, ownVerified.stderr).toBe(0);
});

/** The real cosign, offline: key-based, no transparency log, an empty trusted root (no TUF fetch). */
function offlineCosign(
  outputDir: string,
  pub: string,
  ref: string,
  ...args: string[]
): ReturnType<typeof spawnSync> {
  const home = path.join(outputDir, 'cosign-home');
  fs.mkdirSync(home, { recursive: true });
  const trustedRoot = path.join(home, 'trusted_root.json');
  fs.writeFileSync(
    trustedRoot,
    '{"mediaType":"application/vnd.dev.sigstore.trustedroot+json;version=0.1"}'
  );
  return spawnSync(
    'cosign',
    [
      ...args,
      '--key',
      pub,
      '--insecure-ignore-tlog=true',
      '--trusted-root',
      trustedRoot,
      '--allow-http-registry',
      ref
    ],
    { encoding: 'utf-8', env: { ...process.env, HOME: home }, timeout: 60000 }
  );
}

test('the Kits tab pushes a stored kit signed, and cosign verifies it', async ({
  page,
  request
}, testInfo) => {
  test.setTimeout(120000);
  const host = registry.host;
  const saved = await request.put('/kitlab/kitfile?path=demo', {
    data: {
      kitfile: {
        manifestVersion: '1.0.0',
        package: { name: 'churn', version: '1.0.0' },
        model: { name: 'churn', path: 'models/churn.joblib' }
      }
    }
  });
  expect(saved.ok(), await saved.text()).toBe(true);
  await runJob(request, 'pack', { path: 'demo', reference: 'kits-signed:v1' });

  const panel = await KitlabPanel.load(page, testInfo, { tab: 'Kits' });
  const kit = panel.kit('localhost/kits-signed');
  await expect(kit).toBeVisible({ timeout: 10000 });
  await kit.getByRole('button', { name: 'Push', exact: true }).click();
  const dialog = page.locator('.jp-Dialog');
  const target = `${host}/org/kits-signed:v1`;
  await dialog.locator('input[name="destination"]').fill(target);
  // The same signing choice as Pack & push: off by default (signOnPush), then the server's key.
  const sign = dialog.locator('input[name="sign"]');
  await expect(sign).not.toBeChecked();
  await expect(dialog.locator('select[name="signingKey"]')).toHaveCount(0);
  await sign.check();
  await expect(dialog.locator('select[name="signingKey"]')).toHaveValue('');
  await panel.screenshot('kits-push-sign-dialog');
  await dialog.getByRole('button', { name: 'Push', exact: true }).click();

  await panel.showTab('Jobs');
  const job = panel.root.locator('.jp-kitlab-job', { hasText: target });
  await panel.expectJobSucceeded(job.first(), 90000);

  const pub = path.join(
    os.tmpdir(),
    `kitlab-ui-signing-${process.env.KITLAB_UI_PORT || '8888'}`,
    'cosign.pub'
  );
  const verified = offlineCosign(testInfo.outputDir, pub, target, 'verify');
  expect(verified.status, String(verified.stderr)).toBe(0);
  expect(String(verified.stdout)).toContain(
    '"docker-manifest-digest":"sha256:'
  );
  const sbom = offlineCosign(
    testInfo.outputDir,
    pub,
    target,
    'verify-attestation',
    '--type',
    'cyclonedx'
  );
  expect(sbom.status, String(sbom.stderr)).toBe(0);

  // The kit's detail view pushes under several tags, signed the same way (one signature per digest).
  await panel.showTab('Kits');
  await kit.getByRole('button', { name: 'Details', exact: true }).click();
  const detail = page.locator('#jp-main-dock-panel .jp-kitlab-kit-detail');
  await expect(detail).toBeVisible();
  await detail
    .locator('input[name="push-repository"]')
    .fill(`${host}/org/kits-detail`);
  await detail.locator('input[name="push-tags"]').fill('v1, latest');
  await detail.locator('input[name="sign"]').check();
  await expect(detail.locator('select[name="signingKey"]')).toHaveValue('');
  await panel.screenshot('kit-detail-push-sign');
  await detail.getByRole('button', { name: 'Push', exact: true }).click();
  await panel.showTab('Jobs');
  await panel.expectJobSucceeded(panel.latestJob, 90000);
  for (const tag of ['v1', 'latest']) {
    const checked = offlineCosign(
      testInfo.outputDir,
      pub,
      `${host}/org/kits-detail:${tag}`,
      'verify'
    );
    expect(checked.status, String(checked.stderr)).toBe(0);
  }
});
