import { expect, IJupyterLabPageFixture } from '@jupyterlab/galata';
import { Locator, TestInfo } from '@playwright/test';

/** Page object for the kitlab ModelKit sidebar panel. */
export class KitlabPanel {
  constructor(
    private readonly page: IJupyterLabPageFixture,
    private readonly testInfo: TestInfo
  ) {}

  get tab(): Locator {
    return this.page.locator('.lm-TabBar-tab[data-id="kitlab-panel"]');
  }

  get root(): Locator {
    return this.page.locator('#kitlab-panel');
  }

  async open(): Promise<void> {
    await this.tab.click();
    await expect(this.root).toBeVisible();
  }

  /** Save a screenshot of the whole page with the test's other outputs. */
  async screenshot(name: string): Promise<string> {
    const path = this.testInfo.outputPath(`${name}.png`);
    await this.page.screenshot({ path });
    return path;
  }
}
