// Webcam-path benchmark in headless Chromium: a fake camera plays a CIFAR-10 test record, and per
// backend the page's live loop (canvas grab → engine → result) is timed without saliency and with
// each saliency method. Prints JSON; `--out FILE` also writes it; `--seconds N` sets the window.
// Usage: node tests/e2e/webcam-bench.mjs [--out webcam-bench.json] [--seconds 8] [--backends cpu,webgpu]
import { writeFileSync } from 'node:fs';
import {
  serve, launch, openPage, waitReady, cifarTestRecord, tempFiles, y4m, fakeCameraArgs,
} from './lib.mjs';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const out = arg('--out', null);
const seconds = Number(arg('--seconds', 8));
const backends = arg('--backends', 'cpu,webgpu').split(',');
const modes = ['none', 'gradcam', 'gradient', 'smoothgrad'];
const { 'camera.y4m': video } = tempFiles({ 'camera.y4m': y4m(cifarTestRecord(11).rgb) });

const stats = (page) => page.evaluate(() => {
  const s = document.querySelector('[data-testid="live-stats"]').dataset;
  return { frames: Number(s.frames), latency: Number(s.latency) };
});
const sleep = (ms) => new Promise((ok) => setTimeout(ok, ms));

/** Frames per second over the window; slow backends get up to a minute for two frames. */
async function measure(page) {
  const start = await stats(page);
  const t0 = Date.now();
  await sleep(seconds * 1000);
  let now = await stats(page);
  while (now.frames - start.frames < 2 && Date.now() - t0 < 60_000) { await sleep(1000); now = await stats(page); }
  const elapsed = (Date.now() - t0) / 1000;
  return { frames: now.frames - start.frames, seconds: elapsed, fps: (now.frames - start.frames) / elapsed, last_latency_ms: now.latency };
}

const site = await serve();
const results = [];
try {
  for (const backend of backends) {
    const browser = await launch({ webgpu: backend === 'webgpu', extraArgs: fakeCameraArgs({ video }) });
    try {
      const { page } = await openPage(browser, site, `?backend=${backend}`);
      const kind = await waitReady(page, 240_000);
      const preset = await page.getAttribute('[data-testid="model-preset"]', 'data-preset');
      await page.click('[data-testid="camera-toggle"]');
      await page.waitForFunction(() => Number(document.querySelector('[data-testid="live-stats"]')?.dataset.frames) >= 2, null, { timeout: 240_000 });
      for (const mode of modes) {
        const toggle = page.locator('[data-testid="live-saliency-toggle"]');
        if (mode === 'none') await toggle.uncheck();
        else {
          await toggle.check();
          await page.locator('[data-testid="live-saliency-method"]').selectOption(mode);
        }
        await sleep(1500); // let the first frames of the new mode (shader compiles) pass
        const m = await measure(page);
        const row = { backend: kind, preset, saliency: mode, ...m };
        console.error(JSON.stringify(row));
        results.push(row);
      }
    } finally {
      await browser.close();
    }
  }
} finally {
  await site.close();
}
const report = { window_seconds: seconds, results };
console.log(JSON.stringify(report, null, 2));
if (out) writeFileSync(out, JSON.stringify(report, null, 2));
