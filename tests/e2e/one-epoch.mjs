// One epoch of `fast` on the full CIFAR-10 shard set (dist/data/cifar10, from `make shards`) in
// the page on the CPU, default settings (batch 64): prints the epoch row and the pace as JSON.
// Usage: node tests/e2e/one-epoch.mjs   (about 15 minutes on 2 cores)
import { serve, launch, openPage, waitReady } from './lib.mjs';

const site = await serve();
const browser = await launch({ webgpu: false });
try {
  const { page } = await openPage(browser, site, '?backend=cpu#/train');
  await waitReady(page, 300_000);
  await page.fill('[data-testid="train-epochs"]', '1');
  await page.dispatchEvent('[data-testid="train-epochs"]', 'change');
  const started = Date.now();
  await page.click('[data-testid="train-start"]');
  await page.waitForSelector('[data-testid="training"][data-state="finished"]', { timeout: 3_600_000 });
  const result = await page.evaluate(() => ({
    epoch: [...document.querySelectorAll('[data-testid="epoch-row"] td')].map((td) => td.textContent),
    pace: document.querySelector('[data-testid="training-pace"]')?.textContent,
    run: document.querySelector('[data-testid="training"] p')?.textContent,
  }));
  console.log(JSON.stringify({ ...result, wall_seconds: (Date.now() - started) / 1000 }, null, 2));
} finally {
  await browser.close();
  await site.close();
}
