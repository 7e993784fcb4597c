// Teach benchmark in headless Chromium, per backend: 100 CIFAR-10 test records of each of three
// classes uploaded as samples, a head taught with the image and its mirror (nothing held out),
// the page's own timings of the features and of the head, then the live webcam (a fake camera)
// with the taught network. Prints JSON; `--out FILE` also writes it.
// Usage: node tests/e2e/teach-bench.mjs [--out teach-bench.json] [--backends cpu,webgpu] [--seconds 8]
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import {
  serve, launch, openPage, waitReady, cifarTestRecord, png, tempFiles, y4m, fakeCameraArgs, cifarDir,
} from './lib.mjs';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const out = arg('--out', null);
const backends = arg('--backends', 'cpu,webgpu').split(',');
const seconds = Number(arg('--seconds', 8));
const perClass = Number(arg('--per-class', 100));
const CLASSES = [['airplane', 0], ['cat', 3], ['truck', 9]];
const sleep = (ms) => new Promise((ok) => setTimeout(ok, ms));

const bytes = readFileSync(join(cifarDir, 'test_batch.bin'));
const files = CLASSES.map(([name, label]) => {
  const picked = {};
  for (let i = 0; Object.keys(picked).length < perClass; i++) {
    if (bytes[i * 3073] === label) picked[`${name}-${i}.png`] = png(cifarTestRecord(i).rgb);
  }
  return Object.values(tempFiles(picked));
});
const { 'camera.y4m': video } = tempFiles({ 'camera.y4m': y4m(cifarTestRecord(11).rgb) });

const site = await serve();
const results = [];
try {
  for (const backend of backends) {
    const browser = await launch({ webgpu: backend === 'webgpu', extraArgs: fakeCameraArgs({ video }) });
    try {
      const { page } = await openPage(browser, site, `?backend=${backend}#/teach`);
      const kind = await waitReady(page, 240_000);
      await page.waitForSelector('[data-testid="teach"][data-ready="true"]');
      await page.click('[data-testid="add-class"]');
      const cards = page.locator('[data-testid="teach-class"]');
      for (const [i, [name]] of CLASSES.entries()) {
        await cards.nth(i).locator('[data-testid="class-name"]').fill(name);
        await cards.nth(i).locator('[data-testid="class-name"]').dispatchEvent('change');
        await cards.nth(i).locator('[data-testid="class-files"]').setInputFiles(files[i]);
      }
      await page.waitForFunction((n) => [...document.querySelectorAll('[data-testid="teach-class"]')]
        .every((c) => Number(c.dataset.samples) === n), perClass, { timeout: 300_000 });
      await page.selectOption('[data-testid="teach-held-out"]', '0');
      await page.uncheck('[data-testid="teach-shifts"]');
      const t0 = Date.now();
      await page.click('[data-testid="teach-train"]');
      await page.waitForSelector('[data-testid="teach"][data-teaching="false"] [data-testid="teach-result"]', { timeout: 900_000 });
      const wall = (Date.now() - t0) / 1000;
      const r = await page.locator('[data-testid="teach-result"]').evaluate((el) => ({ ...el.dataset }));
      const steps = Number(await page.inputValue('[data-testid="teach-steps"]'));
      await page.click('[data-testid="teach-use"]');
      await page.waitForSelector('[data-testid="model-preset"][data-own="true"]');
      await page.click('[data-testid="nav-classify"]');
      await page.click('[data-testid="camera-toggle"]');
      await page.waitForFunction(() => Number(document.querySelector('[data-testid="live-stats"]')?.dataset.frames) >= 3, null, { timeout: 240_000 });
      await sleep(1500);
      const frames = () => page.evaluate(() => Number(document.querySelector('[data-testid="live-stats"]').dataset.frames));
      const f0 = await frames(); const w0 = Date.now();
      await sleep(seconds * 1000);
      const fps = (await frames() - f0) / ((Date.now() - w0) / 1000);
      const top1 = await page.getAttribute('[data-testid="live-top"]', 'data-top1');
      const samples = perClass * CLASSES.length;
      const row = {
        backend: kind, backbone: 'full', samples, views: Number(r.views), steps,
        feature_ms: Number(r.featureMs), feature_ms_per_100_samples: Number(r.featureMs) / (samples / 100),
        head_ms: Number(r.headMs), teach_wall_s: wall, webcam_fps: fps, webcam_top1: top1,
      };
      console.error(JSON.stringify(row));
      results.push(row);
    } finally {
      await browser.close();
    }
  }
} finally {
  await site.close();
}
const report = { classes: CLASSES.map(([n]) => n), samples_per_class: perClass, results };
console.log(JSON.stringify(report, null, 2));
if (out) {
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify(report, null, 2));
}
