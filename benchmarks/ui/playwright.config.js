/**
 * The UI benchmark reuses the Galata end-to-end setup (ui-tests/playwright.config.js: Debian's
 * Chromium, the test server config) with its own specs. Run it through benchmarks/ui.py, which
 * prepares the workspace and prints the report.
 */
const path = require('path');

const uiTests = path.resolve(__dirname, '../../ui-tests');
const base = require(path.join(uiTests, 'playwright.config.js'));

module.exports = {
  ...base,
  testDir: __dirname,
  testMatch: '*.bench.ts',
  outputDir: path.join(uiTests, 'test-results', 'benchmarks'),
  reporter: [['list']],
  timeout: 15 * 60 * 1000,
  webServer: { ...base.webServer, cwd: uiTests }
};
