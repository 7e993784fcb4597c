// Screenshots of every page at desktop and phone width, light and dark, for looking at by eye:
// `node tests/e2e/screenshots.mjs OUT_DIR` (after `make build` and `make shards`). Each page is
// shown with content (content.mjs). PAGES=classify,train limits the pages.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { serve, launch, waitReady } from './lib.mjs';
import { PAGES, showPage } from './content.mjs';

const out = process.argv[2] ?? 'artifacts/screenshots';
mkdirSync(out, { recursive: true });
const pages = process.env.PAGES?.split(',') ?? PAGES;

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
        await showPage(page, slug);
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
