// Screenshots of every page at desktop and phone width, light and dark, for looking at by eye:
// `node tests/e2e/screenshots.mjs OUT_DIR` (after `make build` and `make shards`). Each page is
// shown with content: an explained upload, an evaluation with a cell open, the explorer's
// samples, the layer table. PAGES=classify,train limits the pages.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { serve, launch, waitReady, cifarTestRecord, png, tempFiles, upload } from './lib.mjs';

const out = process.argv[2] ?? 'artifacts/screenshots';
mkdirSync(out, { recursive: true });
const pages = (process.env.PAGES ?? 'classify,teach,train,evaluate,data,inside,benchmark,about').split(',');
const files = tempFiles({ 'horse.png': png(cifarTestRecord(13).rgb), 'ship.png': png(cifarTestRecord(1).rgb) });

/** What each page shows before its screenshot (state is kept between pages of one visit). */
const prepare = {
  async classify(page) {
    if (await page.locator('[data-testid="result"]').count() > 0) return;
    await upload(page, [files['horse.png'], files['ship.png']]);
    const result = page.locator('[data-testid="result"][data-name="horse.png"]');
    await result.locator('[data-testid="explain-button"]').click();
    await result.locator('[data-testid="explain"][data-state="done"]').waitFor({ timeout: 240_000 });
  },
  async teach(page) { await page.waitForSelector('[data-testid="teach"][data-ready="true"]'); },
  async evaluate(page) {
    if (await page.locator('[data-testid="eval-accuracy-tta"]').count() === 0) {
      await page.selectOption('[data-testid="eval-limit"]', '500');
      await page.click('[data-testid="eval-run"]');
      await page.waitForSelector('[data-testid="eval-accuracy-tta"]', { timeout: 300_000 });
    }
    await page.click('[data-testid="confusion-cell"][data-truth="3"][data-predicted="5"]');
    await page.waitForSelector('[data-testid="cell-gallery"]');
  },
  async data(page) { await page.waitForSelector('[data-testid="sample"]', { timeout: 120_000 }); },
  async inside(page) { await page.waitForSelector('[data-testid="arch-total"]', { timeout: 120_000 }); },
};

const site = await serve();
const browser = await launch({ webgpu: false });
try {
  for (const [label, width] of [['desktop', 1280], ['phone', 360]]) {
    for (const scheme of ['light', 'dark']) {
      const context = await browser.newContext({ viewport: { width, height: 900 }, colorScheme: scheme });
      const page = await context.newPage();
      await page.goto(`${site.url}?backend=cpu#/classify`);
      await waitReady(page, 180_000);
      for (const slug of pages) {
        await page.click(`[data-testid="nav-${slug}"]`);
        await page.waitForSelector(`[data-testid="page"][data-page="${slug}"]`);
        await prepare[slug]?.(page);
        await page.waitForTimeout(500);
        // Wider than the viewport means something overflows: say so.
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        if (overflow > 0) console.log(`${slug} ${label} ${scheme}: ${overflow} px wider than the viewport`);
        await page.screenshot({ path: join(out, `${slug}-${label}-${scheme}.png`), fullPage: true });
      }
      await context.close();
    }
  }
} finally {
  await browser.close();
  await site.close();
}
