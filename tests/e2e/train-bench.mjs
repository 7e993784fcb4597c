// Training throughput of the built page in headless Chromium: per backend and preset, the median
// time of one optimiser step (forward, backward, update, loss read-back) and images/s at batch 64
// (and 256 on the CPU). The CPU runs with a pool of 1, 2 and 4 workers (4 is more than this
// machine's 2 cores: it shows what oversubscription costs); `scaling` is each pool's images/s over
// one worker's, per preset and batch.
// Prints JSON; `--out FILE` also writes it. Usage: node tests/e2e/train-bench.mjs [--out FILE] [--backends cpu,webgpu]
import { writeFileSync } from 'node:fs';
import { serve, launch, openPage, waitReady } from './lib.mjs';

const outIndex = process.argv.indexOf('--out');
const out = outIndex > 0 ? process.argv[outIndex + 1] : null;
const batch = Number(process.env.BATCH ?? 64);
// SwiftShader's WebGPU is far slower than wasm here: fewer timed steps.
const backendsIndex = process.argv.indexOf('--backends');
const only = backendsIndex > 0 ? process.argv[backendsIndex + 1].split(',') : null;
const cpuBatches = process.env.BATCH ? [batch] : [64, 256];
const plan = [
  ...[1, 2, 4].flatMap((workers) => cpuBatches.map((b) => ({ backend: 'cpu', webgpu: false, steps: 3, workers, batch: b }))),
  { backend: 'webgpu', webgpu: true, steps: 2, batch },
].filter((p) => !only || only.includes(p.backend));

const site = await serve();
const report = { training: [], scaling: [] };
try {
  for (const { backend, webgpu, steps, workers, batch } of plan) {
    const browser = await launch({ webgpu });
    try {
      const query = `?backend=${backend}${workers ? `&workers=${workers}` : ''}`;
      const { page } = await openPage(browser, site, `${query}#/benchmark`);
      const kind = await waitReady(page, 300_000);
      if (kind !== backend) { console.error(`skipping ${backend}: the page runs on ${kind}`); continue; }
      if (workers) await page.waitForSelector(`[data-testid="pool-status"][data-ready="${workers}"]`, { timeout: 120_000 });
      await page.fill('[data-testid="bench-batch"]', String(batch));
      await page.dispatchEvent('[data-testid="bench-batch"]', 'change');
      await page.fill('[data-testid="bench-steps"]', String(steps));
      await page.dispatchEvent('[data-testid="bench-steps"]', 'change');
      await page.click('[data-testid="run-train-benchmark"]');
      await page.waitForSelector('[data-testid="train-benchmark-json"]', { timeout: 1_800_000 });
      const rows = JSON.parse(await page.textContent('[data-testid="train-benchmark-json"]'));
      report.training.push(...rows.map((r) => ({ ...r, pool: workers ?? 1 })));
      console.error(rows.map((r) => `${r.preset} ${r.backend} batch ${r.batch} pool ${workers ?? 1}: ${r.images_per_second.toFixed(1)} img/s on ${r.workers} workers`).join('\n'));
    } finally {
      await browser.close();
    }
  }
} finally {
  await site.close();
}
for (const row of report.training.filter((r) => r.backend === 'cpu' && r.pool > 1)) {
  const one = report.training.find((r) => r.backend === 'cpu' && r.pool === 1 && r.preset === row.preset && r.batch === row.batch);
  if (one) {
    const speedup = row.images_per_second / one.images_per_second;
    report.scaling.push({ preset: row.preset, batch: row.batch, pool: row.pool, workers: row.workers, speedup, efficiency: speedup / row.workers });
  }
}
const json = JSON.stringify(report, null, 2);
console.log(json);
if (out) writeFileSync(out, json + '\n');
