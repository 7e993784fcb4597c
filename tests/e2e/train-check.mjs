// Trains each preset a few steps on WebGPU (SwiftShader in headless Chromium) and on the CPU from
// the same network and records, and prints how far every tensor drifts, and each kind of layer's
// gradients against the CPU's, as JSON.
// Usage: node tests/e2e/train-check.mjs [webgpu|cpu]   (needs `make shards`)
import { serve, launch, openPage, waitReady } from './lib.mjs';

const backend = process.argv[2] ?? 'webgpu';
const site = await serve();
const browser = await launch({ webgpu: backend === 'webgpu' });
try {
  const { page } = await openPage(browser, site, `?backend=${backend}#/benchmark`);
  await waitReady(page, 300_000);
  await page.click('[data-testid="check-training"]');
  await page.waitForSelector('[data-testid="train-check-json"], [data-testid="benchmark-error"]', { timeout: 900_000 });
  const error = await page.$('[data-testid="benchmark-error"]');
  if (error) throw new Error(await error.textContent());
  console.log(await page.textContent('[data-testid="train-check-json"]'));
} finally {
  await browser.close();
  await site.close();
}
