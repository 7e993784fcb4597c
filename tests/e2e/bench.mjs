// Inference benchmark of the built page in headless Chromium: wasm sizes, time from page load to
// first prediction (per backend and for the automatic choice, with its timings), and per preset and
// backend the batch-1 latency and batch-64 throughput.
// Prints JSON; `--out FILE` also writes it. Usage: node tests/e2e/bench.mjs [--out bench.json]
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync, brotliCompressSync, constants } from 'node:zlib';
import { serve, launch, openPage, waitReady, cifarTestRecord, png, tempFiles, upload, dist } from './lib.mjs';

const outIndex = process.argv.indexOf('--out');
const out = outIndex > 0 ? process.argv[outIndex + 1] : null;
// SwiftShader's WebGPU is ~10× slower than wasm here: fewer timed runs keep the bench short.
const backendsIndex = process.argv.indexOf('--backends');
const only = backendsIndex > 0 ? process.argv[backendsIndex + 1].split(',') : null;
// The CPU pool (issue 23) with 1, 2 and 4 workers (4 is more than this machine's 2 cores: it
// shows what oversubscription costs); each row's `workers` says how many took part.
const plan = [
  { backend: 'cpu', webgpu: false, runs: 5, workers: 1 },
  { backend: 'cpu', webgpu: false, runs: 5, workers: 2 },
  { backend: 'cpu', webgpu: false, runs: 5, workers: 4 },
  { backend: 'webgpu', webgpu: true, runs: 2 },
  // The automatic choice: load and first prediction, then the background timing's figures.
  { backend: 'auto', webgpu: true, runs: 0 },
].filter((p) => !only || only.includes(p.backend));

const brotli = (bytes) => brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length;
const wasm = readdirSync(dist).filter((f) => f.endsWith('.wasm')).map((file) => {
  const bytes = readFileSync(join(dist, file));
  return { file, raw_bytes: statSync(join(dist, file)).size, gzip_bytes: gzipSync(bytes, { level: 9 }).length, brotli_bytes: brotli(bytes) };
});

const site = await serve();
const report = {
  wasm, wasm_gzip_total_bytes: wasm.reduce((a, w) => a + w.gzip_bytes, 0),
  wasm_brotli_total_bytes: wasm.reduce((a, w) => a + w.brotli_bytes, 0), load: [], inference: [],
};
const image = tempFiles({ 'first.png': png(cifarTestRecord(0).rgb) })['first.png'];
try {
  for (const { backend, webgpu, runs, workers } of plan) {
    const browser = await launch({ webgpu });
    try {
      const t0 = Date.now();
      const query = backend === 'auto' ? '' : `?backend=${backend}${workers ? `&workers=${workers}` : ''}`;
      const { page } = await openPage(browser, site, query);
      const kind = await waitReady(page, 300_000);
      const ready = Date.now() - t0;
      await upload(page, [image], 300_000);
      const load = { backend: kind, workers: workers ?? 1, ready_ms: ready, first_prediction_ms: Date.now() - t0 };
      report.load.push(load);
      if (backend === 'auto') {
        load.requested = 'auto';
        await page.waitForSelector('[data-testid="backend-choice"][data-state="done"]', { timeout: 300_000 });
        const choice = await page.$eval('[data-testid="backend-choice"]', (e) => ({ ...e.dataset, text: e.textContent }));
        const kinds = await page.$eval('[data-testid="backend-kind"]', (e) => ({ ...e.dataset }));
        const pair = (s) => (s ? s.split(',').map(Number) : null);
        report.auto_choice = {
          chosen_ms: Date.now() - t0, inference: kinds.kind, training: kinds.trainingKind,
          inference_ms_cpu_webgpu: pair(choice.inferenceMs), training_step_ms_cpu_webgpu: pair(choice.trainingMs), reason: choice.text,
        };
        continue;
      }
      if (kind !== backend) { console.error(`skipping ${backend}: the page runs on ${kind}`); continue; }
      await page.click('[data-testid="nav-benchmark"]');
      if (workers) {
        await page.waitForSelector(`[data-testid="pool-status"][data-ready="${workers}"]`, { timeout: 120_000 });
        report.pool_status = report.pool_status ?? {};
        report.pool_status[workers] = (await page.textContent('[data-testid="pool-status"]')).trim();
      }
      await page.fill('[data-testid="bench-runs"]', String(runs));
      await page.dispatchEvent('[data-testid="bench-runs"]', 'change');
      await page.click('[data-testid="run-benchmark"]');
      await page.waitForSelector('[data-testid="benchmark-json"]', { timeout: 600_000 });
      report.inference.push(...JSON.parse(await page.textContent('[data-testid="benchmark-json"]')));
    } finally {
      await browser.close();
    }
  }
} finally {
  await site.close();
}
// Scaling of the CPU pool: batch-64 images/s with N workers over N × one worker's.
report.pool_scaling = [];
for (const row of report.inference.filter((r) => r.backend === 'cpu' && r.workers > 1)) {
  const one = report.inference.find((r) => r.backend === 'cpu' && r.workers === 1 && r.preset === row.preset);
  if (!one) continue;
  const speedup = row.images_per_second / one.images_per_second;
  report.pool_scaling.push({ preset: row.preset, workers: row.workers, speedup, efficiency: speedup / row.workers });
}
const json = JSON.stringify(report, null, 2);
console.log(json);
if (out) writeFileSync(out, json + '\n');
