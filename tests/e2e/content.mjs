// Pages with something on them, for the audits and the screenshots: each page is visited from
// the navigation bar (so state made on one page stays for the next) and filled the way a visitor
// would: an explained upload, an evaluation with a cell's records open, the explorer's samples,
// the layer table, the Teach classes.
import { cifarTestRecord, png, tempFiles, upload } from './lib.mjs';

export const PAGES = ['classify', 'teach', 'train', 'evaluate', 'data', 'inside', 'benchmark', 'about'];
const files = tempFiles({ 'horse.png': png(cifarTestRecord(13).rgb), 'ship.png': png(cifarTestRecord(1).rgb) });

const fill = {
  async classify(page) {
    if (await page.locator('[data-testid="result"]').count() > 0) return;
    await upload(page, [files['horse.png'], files['ship.png']]);
    const result = page.locator('[data-testid="result"][data-name="horse.png"]');
    await result.locator('[data-testid="explain-button"]').click();
    await result.locator('[data-testid="explain"][data-state="done"]').waitFor({ timeout: 240_000 });
  },
  async teach(page) { await page.waitForSelector('[data-testid="teach"][data-ready="true"]'); },
  async evaluate(page) {
    if (await page.locator('[data-testid="eval-accuracy"]').count() === 0) {
      await page.selectOption('[data-testid="eval-limit"]', '500');
      // Without TTA: half the time, the same page.
      await page.uncheck('[data-testid="eval-tta"]');
      await page.click('[data-testid="eval-run"]');
      await page.waitForSelector('[data-testid="eval-accuracy"]', { timeout: 300_000 });
    }
    await page.click('[data-testid="confusion-cell"][data-truth="3"][data-predicted="5"]');
    await page.waitForSelector('[data-testid="cell-gallery"]');
  },
  async data(page) { await page.waitForSelector('[data-testid="sample"]', { timeout: 120_000 }); },
  async inside(page) { await page.waitForSelector('[data-testid="arch-total"]', { timeout: 120_000 }); },
};

/** Goes to page `slug` through the navigation bar and fills it. */
export async function showPage(page, slug) {
  await page.click(`[data-testid="nav-${slug}"]`);
  await page.waitForSelector(`[data-testid="page"][data-page="${slug}"]`);
  await fill[slug]?.(page);
}
