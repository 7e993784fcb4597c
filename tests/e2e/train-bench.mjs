// Training throughput of the built page in headless Chromium: per backend and preset, the median
// time of one optimiser step (forward, backward, update, loss read-back) and images/s at batch 64.
// Prints JSON; `--out FILE` also writes it. Usage: node tests/e2e/train-bench.mjs [--out FILE] [--backends cpu,webgpu]
import { writeFileSync } from 'node:fs';
import { serve, launch, openPage, waitReady } from './lib.mjs';

const outIndex = process.argv.indexOf('--out');
const out = outIndex > 0 ? process.argv[outIndex + 1] : null;
const batch = Number(process.env.BATCH ?? 64);
// SwiftShader's WebGPU is far slower than wasm here: fewer timed steps.
const backendsIndex = process.argv.indexOf('--backends');
const only = backendsIndex > 0 ? process.argv[backendsIndex + 1].split(',') : null;
const plan = [
  { backend: 'cpu', webgpu: false, steps: 3 },
  { backend: 'webgpu', webgpu: true, steps: 2 },
].filter((p) => !only || only.includes(p.backend));

const site = await serve();
const report = { batch, training: [] };
try {
  for (const { backend, webgpu, steps } of plan) {
    const browser = await launch({ webgpu });
    try {
      const { page } = await openPage(browser, site, `?backend=${backend}#/benchmark`);
      const kind = await waitReady(page, 300_000);
      if (kind !== backend) { console.error(`skipping ${backend}: the page runs on ${kind}`); continue; }
      await page.fill('[data-testid="bench-batch"]', String(batch));
      await page.dispatchEvent('[data-testid="bench-batch"]', 'change');
      await page.fill('[data-testid="bench-steps"]', String(steps));
      await page.dispatchEvent('[data-testid="bench-steps"]', 'change');
      await page.click('[data-testid="run-train-benchmark"]');
      await page.waitForSelector('[data-testid="train-benchmark-json"]', { timeout: 1_800_000 });
      report.training.push(...JSON.parse(await page.textContent('[data-testid="train-benchmark-json"]')));
    } finally {
      await browser.close();
    }
  }
} finally {
  await site.close();
}
const json = JSON.stringify(report, null, 2);
console.log(json);
if (out) writeFileSync(out, json + '\n');
