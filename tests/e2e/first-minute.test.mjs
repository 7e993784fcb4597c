// The impatient newcomer: actions taken the moment the page appears, before the engine has
// loaded its model, wait and then run (requests wait in the page until the worker listens, and
// in the engine until it has started). Each request is answered by id, so every card and frame
// gets its own answer.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  serve, launch, openPage, cifarTestRecord, png, tempFiles, y4m, fakeCameraArgs, CLASS_NAMES,
} from './lib.mjs';

let site;
before(async () => { site = await serve(); });
after(async () => { await site?.close(); });

/** Every card settled: { name: state }. */
async function settledCards(page, n, timeout) {
  await page.waitForFunction(
    (n) => {
      const cards = [...document.querySelectorAll('[data-testid="result"]')];
      return cards.length >= n && cards.every((c) => c.dataset.state !== 'pending');
    },
    n, { timeout },
  );
  return page.$$eval('[data-testid="result"]', (els) => Object.fromEntries(els.map((e) => [e.dataset.name, e.dataset.state])));
}

for (const { name, query, webgpu } of [
  { name: 'the CPU', query: '?backend=cpu', webgpu: false },
  { name: 'the automatic choice (WebGPU self-test first)', query: '', webgpu: true },
]) {
  test(`on ${name}: files chosen and the camera started at once after load are answered`, async () => {
    const record = cifarTestRecord(11);
    const files = tempFiles({
      ...Object.fromEntries([0, 1, 2, 3, 4].map((i) => [`early-${i}.png`, png(cifarTestRecord(i).rgb)])),
      'early-junk.png': 'not an image',
      'camera.y4m': y4m(record.rgb),
    });
    const browser = await launch({ webgpu, extraArgs: fakeCameraArgs({ video: files['camera.y4m'] }) });
    try {
      const { page, problems } = await openPage(browser, site, query);
      // No waiting for the engine: the picker and the camera button as soon as they exist.
      const images = Object.keys(files).filter((f) => f.endsWith('.png'));
      await page.setInputFiles('[data-testid="file-input"]', images.map((f) => files[f]));
      await page.click('[data-testid="camera-toggle"]');
      const engineReadyAtClick = await page.locator('[data-testid="model-preset"]').count();
      console.log(`# model loaded when the files were chosen: ${engineReadyAtClick > 0}`);

      const states = await settledCards(page, images.length, 240_000);
      for (const f of images) {
        assert.equal(states[f], f === 'early-junk.png' ? 'failed' : 'done', `${f}: ${states[f]}`);
      }
      // The camera loop did not stall on a frame sent before the engine listened.
      await page.waitForFunction(
        () => Number(document.querySelector('[data-testid="live-stats"]')?.dataset.frames ?? 0) >= 3,
        null, { timeout: 240_000 },
      );
      const top1 = await page.getAttribute('[data-testid="live-top"]', 'data-top1');
      assert.ok(CLASS_NAMES.includes(top1), `live top-1 ${top1}`);
      assert.deepEqual(problems, []);
    } finally {
      await browser.close();
    }
  });
}
