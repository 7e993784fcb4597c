// The impatient newcomer: actions taken the moment the page appears, before the engine has
// loaded its model, wait and then run (requests wait in the page until the worker listens, and
// in the engine until it has started). Each request is answered by id, so every card and frame
// gets its own answer.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  serve, launch, openPage, cifarTestRecord, png, tempFiles, y4m, fakeCameraArgs, CLASS_NAMES, repo,
} from './lib.mjs';
import { join } from 'node:path';
import { records, shardSet, routes, setField, waitTraining, startTraining } from './training.mjs';

const small = shardSet([
  { file: 'train-000.bin', split: 'train', bytes: records('data_batch_1.bin', 0, 64) },
  { file: 'test-000.bin', split: 'test', bytes: records('test_batch.bin', 0, 50) },
]);

let site;
before(async () => { site = await serve(routes('data/small', small)); });
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
  { name: 'the automatic choice (CPU at once, WebGPU checked and timed meanwhile)', query: '', webgpu: true },
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

// Each of the other actions on its own, the moment its page appears (no waiting for the engine).
const EARLY = {
  async explain(page) {
    const name = 'early-explain.png';
    await page.setInputFiles('[data-testid="file-input"]', tempFiles({ [name]: png(cifarTestRecord(2).rgb) })[name]);
    const card = page.locator(`[data-testid="result"][data-name="${name}"]`);
    await card.locator('[data-testid="explain-button"]').click();
    await card.locator('[data-testid="explain"][data-state="done"]').waitFor({ timeout: 240_000 });
    assert.ok(await card.locator('[data-testid="saliency-map"]').count(), 'a saliency map');
  },
  async train(page) {
    await startTraining(page, { manifest: 'data/small/manifest.json', batch: 16, epochs: 1, preset: 'baseline' });
    await waitTraining(page, (t) => t.state === 'finished', 300_000);
  },
  async evaluate(page) {
    await setField(page, 'eval-manifest', 'data/small/manifest.json');
    await page.click('[data-testid="eval-run"]');
    await page.waitForSelector('[data-testid="eval-accuracy"]', { timeout: 300_000 });
    const accuracy = Number(await page.getAttribute('[data-testid="eval-accuracy"]', 'data-value'));
    assert.ok(accuracy > 0.5, `the shipped model on 50 records: ${accuracy}`);
  },
  async import(page) {
    await page.setInputFiles('[data-testid="import-weights"]', join(repo, 'weights/fast.bin'));
    await page.waitForSelector('[data-testid="model-preset"][data-weights="fast.bin"]', { timeout: 240_000 });
  },
};

for (const [action, route] of [['explain', 'classify'], ['train', 'train'], ['evaluate', 'evaluate'], ['import', 'train']]) {
  for (const { name, query, webgpu } of [
    { name: 'cpu', query: '?backend=cpu', webgpu: false },
    { name: 'automatic', query: '', webgpu: true },
  ]) {
    test(`${name}: ${action} started the moment the page appears is answered`, async () => {
      const browser = await launch({ webgpu });
      try {
        const { page, problems } = await openPage(browser, site, `${query}#/${route}`);
        await EARLY[action](page);
        assert.deepEqual(problems, []);
      } finally {
        await browser.close();
      }
    });
  }
}
