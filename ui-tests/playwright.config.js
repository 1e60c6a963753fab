/**
 * Galata's Playwright config, adapted to this machine: Debian's Chromium (Playwright cannot download
 * browsers here), no video (needs a download), a port of our own, and a reporter that never blocks.
 */
const baseConfig = require('@jupyterlab/galata/lib/playwright-config');

const port = process.env.KITLAB_UI_PORT || '8888';
const baseURL = `http://127.0.0.1:${port}`;

module.exports = {
  ...baseConfig,
  // tests-hub/ runs against JupyterHub instead (hub.config.js).
  testDir: './tests',
  reporter: [['list'], ['html', { open: 'never' }]],
  workers: 1,
  retries: 0,
  use: {
    ...baseConfig.use,
    baseURL,
    video: 'off',
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: process.env.KITLAB_CHROMIUM || '/usr/lib/chromium/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-dev-shm-usage',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        '--disable-quic'
      ]
    }
  },
  webServer: {
    command: 'jlpm start',
    url: `${baseURL}/lab`,
    timeout: 120000,
    reuseExistingServer: false,
    env: { ...process.env, KITLAB_UI_PORT: port }
  }
};
