/**
 * The JupyterHub UI test (`make hub-test`, docs/jupyterhub.md): the same browser settings as
 * playwright.config.js, but the web server is a real JupyterHub (jupyterhub_config.py) on
 * KITLAB_HUB_PORT, and the tests live in tests-hub/. The hub's state goes to a new temporary folder
 * named here once (the test workers inherit the variable), made by the hub's config and removed by the
 * hub when it stops. The password the test logs in with is made here too.
 */
const crypto = require('crypto');
const os = require('os');
const path = require('path');

const base = require('./playwright.config');

const port = process.env.KITLAB_HUB_PORT || '8000';
const baseURL = `http://127.0.0.1:${port}`;
// The team registry the test starts, the only one the hub's servers allow (Kitlab.allowed_registries).
process.env.KITLAB_HUB_REGISTRY_PORT ||= '5000';
if (!process.env.KITLAB_HUB_DIR) {
  process.env.KITLAB_HUB_DIR = path.join(
    os.tmpdir(),
    `kitlab-hub-${crypto.randomBytes(6).toString('hex')}`
  );
  process.env.KITLAB_HUB_PASSWORD = crypto.randomBytes(12).toString('hex');
}

module.exports = {
  ...base,
  testDir: './tests-hub',
  outputDir: './test-results-hub',
  reporter: [['list'], ['html', { open: 'never', outputFolder: 'hub-report' }]],
  // The size the walk-through used: room for the sidebar and the main-area Kitfile editor.
  use: { ...base.use, baseURL, viewport: { width: 1440, height: 900 } },
  webServer: {
    command: 'jupyterhub --config jupyterhub_config.py',
    url: `${baseURL}/hub/login`,
    timeout: 120000,
    reuseExistingServer: false,
    // SIGTERM lets the hub stop alice's server and the proxy (they run in sessions of their own) and
    // remove its state folder.
    gracefulShutdown: { signal: 'SIGTERM', timeout: 20000 },
    env: { ...process.env, KITLAB_HUB_PORT: port }
  }
};
