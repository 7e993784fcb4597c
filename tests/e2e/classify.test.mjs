// Upload classification in the real page, on both backends, with good and bad files.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  serve, launch, openPage, waitReady, useBackend, cifarTestRecord, png, tempFiles, upload, card, dist, artifactsDir,
} from './lib.mjs';

let site;
before(async () => { site = await serve(); });
after(async () => { await site?.close(); });

const shipsWeights = () => JSON.parse(readFileSync(join(dist, 'weights/index.json'))).models.length > 0;

test('without WebGPU the page falls back to the CPU, says so, and classifies; bad files get clear errors', async () => {
  const browser = await launch({ webgpu: false });
  try {
    const { page, problems } = await openPage(browser, site);
    assert.equal(await waitReady(page), 'cpu');
    // Where navigator.gpu is missing the notice says so at once; where it exists but has no
    // adapter, the automatic choice finds out in the background and says why it stays on the CPU.
    const why = page.locator('[data-testid="backend-notice"], [data-testid="backend-choice"][data-state="done"]');
    await why.first().waitFor({ timeout: 60_000 });
    assert.match(await why.first().textContent(), /WebGPU/);
    assert.equal(await page.getAttribute('[data-testid="backend-kind"]', 'data-training-kind'), 'cpu');
    const untrained = await page.locator('[data-testid="untrained-notice"]').count();
    assert.equal(untrained, shipsWeights() ? 0 : 1, 'the untrained notice shows exactly when no weights ship');

    const record = cifarTestRecord(0);
    const pngBytes = png(record.rgb);
    const files = tempFiles({
      'record0.png': pngBytes,
      'notes.txt': 'this is not an image\n',
      'empty.png': Buffer.alloc(0),
      'truncated.png': pngBytes.subarray(0, Math.floor(pngBytes.length / 2)),
      'after-errors.png': pngBytes,
    });
    await upload(page, [files['record0.png']]);
    const good = await card(page, 'record0.png');
    assert.equal(good.state, 'done');
    assert.match(good.top1, /^[a-z]+ \d+%$/, 'the top prediction is announced as "class NN%"');
    assert.equal(good.logits.length, 10);
    assert.ok(await page.locator('[role="status"]', { hasText: good.top1 }).count() >= 1);

    await upload(page, [files['notes.txt'], files['empty.png'], files['truncated.png']]);
    for (const [name, pattern] of [['notes.txt', /not an image/], ['empty.png', /empty/], ['truncated.png', /truncated|corrupt/]]) {
      const bad = await card(page, name);
      assert.equal(bad.state, 'failed', name);
      assert.match(bad.error, pattern, `${name}: ${bad.error}`);
      assert.ok(bad.error.includes(name), `the message names the file: ${bad.error}`);
    }
    // The page keeps working after the errors.
    await upload(page, [files['after-errors.png']]);
    const again = await card(page, 'after-errors.png');
    assert.equal(again.state, 'done');
    assert.deepEqual(again.logits, good.logits);
    await page.screenshot({ path: join(artifactsDir(), 'cpu-classify.png'), fullPage: true });
    assert.deepEqual(problems, []);
  } finally {
    await browser.close();
  }
});

test('images can also be dropped on the page or pasted, several at once, and removed again', async () => {
  const browser = await launch({ webgpu: false });
  try {
    const { page, problems } = await openPage(browser, site, '?backend=cpu');
    await waitReady(page);
    const images = [1, 2].map((i) => png(cifarTestRecord(i).rgb).toString('base64'));
    await page.evaluate((images) => {
      const transfer = (names) => {
        const dt = new DataTransfer();
        names.forEach((name, i) => {
          const bytes = Uint8Array.from(atob(images[i]), (c) => c.charCodeAt(0));
          dt.items.add(new File([bytes], name, { type: 'image/png' }));
        });
        return dt;
      };
      document.querySelector('label.drop').dispatchEvent(
        new DragEvent('drop', { dataTransfer: transfer(['dropped-a.png', 'dropped-b.png']), bubbles: true, cancelable: true }));
      document.dispatchEvent(
        new ClipboardEvent('paste', { clipboardData: transfer(['pasted.png']), bubbles: true, cancelable: true }));
    }, images);
    await page.waitForFunction(() => {
      const cards = [...document.querySelectorAll('[data-testid="result"]')];
      return cards.length === 3 && cards.every((c) => c.dataset.state === 'done');
    }, null, { timeout: 60_000 });
    for (const name of ['dropped-a.png', 'dropped-b.png', 'pasted.png']) {
      assert.equal((await card(page, name)).state, 'done', name);
    }

    // Removing a result drops its card and releases its image URLs; the others stay.
    const urlsOf = (name) => page.$$eval(`[data-testid="result"][data-name="${name}"] img`, (imgs) => imgs.map((i) => i.src));
    // Loaded as images: the page's CSP allows blob: images but no fetch of them.
    const readable = (urls) => page.evaluate((urls) => Promise.all(urls.map((url) => new Promise((ok) => {
      const img = new Image();
      img.onload = () => ok(true);
      img.onerror = () => ok(false);
      img.src = url;
    }))), urls);
    const pasted = await urlsOf('pasted.png');
    assert.equal(pasted.length, 2, 'thumbnail and the 32×32 input');
    assert.deepEqual(await readable(pasted), [true, true]);
    await page.click('[data-testid="result"][data-name="pasted.png"] [data-testid="remove-result"]');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="result"]').length === 2);
    assert.deepEqual(await readable(pasted), [false, false], 'revoked');
    const dropped = await urlsOf('dropped-a.png');
    assert.deepEqual(await readable(dropped), [true, true], 'the other results keep theirs');

    // Clear results removes the rest and leaves nothing to export.
    await page.click('[data-testid="clear-results"]');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="result"]').length === 0);
    assert.deepEqual(await readable(dropped), [false, false]);
    assert.ok(await page.isDisabled('[data-testid="csv"]'));
    assert.ok(await page.isDisabled('[data-testid="clear-results"]'));
    // Chromium logs each of the four fetches of a revoked URL above; nothing else went wrong.
    const revokedFetches = problems.filter((p) => p.includes('net::ERR_FILE_NOT_FOUND'));
    assert.equal(revokedFetches.length, 4, problems.join('\n'));
    assert.deepEqual(problems.filter((p) => !revokedFetches.includes(p)), []);
  } finally {
    await browser.close();
  }
});

test('WebGPU runs in headless Chromium and agrees with the CPU backend', async () => {
  const browser = await launch({ webgpu: true });
  try {
    const { page, problems } = await openPage(browser, site, '?backend=webgpu');
    assert.equal(await waitReady(page, 240_000), 'webgpu', 'WebGPU passed its self-test and is in use');
    assert.equal(await page.locator('[data-testid="backend-notice"]').count(), 0);

    const record = cifarTestRecord(3);
    const files = tempFiles({ 'gpu.png': png(record.rgb), 'cpu.png': png(record.rgb) });
    await upload(page, [files['gpu.png']], 240_000);
    const gpu = await card(page, 'gpu.png');
    assert.equal(gpu.state, 'done');

    await useBackend(page, 'cpu');
    await upload(page, [files['cpu.png']]);
    const cpu = await card(page, 'cpu.png');
    assert.equal(cpu.state, 'done');

    assert.equal(gpu.top1.split(' ')[0], cpu.top1.split(' ')[0], 'same top-1 class');
    // Ten logits each, all finite: Math.max over an empty array would pass any bound.
    assert.equal(gpu.logits.length, 10);
    assert.equal(cpu.logits.length, 10);
    assert.ok([...gpu.logits, ...cpu.logits].every(Number.isFinite), 'finite logits');
    const maxDiff = Math.max(...gpu.logits.map((v, i) => Math.abs(v - cpu.logits[i])));
    assert.ok(maxDiff <= 1e-3, `logits differ by ${maxDiff}`);

    // And back to WebGPU by hand.
    await page.click('[data-testid="use-webgpu"]');
    await page.waitForSelector('[data-testid="backend-kind"][data-kind="webgpu"]');
    assert.deepEqual(problems, []);
  } finally {
    await browser.close();
  }
});

test('automatic: the first prediction comes from the CPU at once, WebGPU is checked and timed in the background, each job goes to the faster, and the switch wins', async () => {
  const browser = await launch({ webgpu: true });
  try {
    const { page, problems } = await openPage(browser, site);
    const loaded = Date.now();
    assert.equal(await waitReady(page), 'cpu', 'the engine starts on the CPU without waiting for WebGPU');
    const record = cifarTestRecord(5);
    const files = tempFiles({ 'first.png': png(record.rgb), 'after.png': png(record.rgb) });
    await upload(page, [files['first.png']]);
    const first = await card(page, 'first.png');
    assert.equal(first.state, 'done');
    const whileChoosing = await page.getAttribute('[data-testid="backend-choice"]', 'data-state');
    console.log(`# first prediction ${Date.now() - loaded} ms after the page loaded; the choice was ${whileChoosing} then`);

    await page.waitForSelector('[data-testid="backend-choice"][data-state="done"]', { timeout: 300_000 });
    const choice = await page.$eval('[data-testid="backend-choice"]', (e) => ({ ...e.dataset, text: e.textContent }));
    const kinds = await page.$eval('[data-testid="backend-kind"]', (e) => ({ ...e.dataset }));
    const pair = (s) => s.split(',').map(Number);
    const inference = pair(choice.inferenceMs);
    const training = pair(choice.trainingMs);
    console.log(`# ${choice.text}`);
    assert.ok([...inference, ...training].every((ms) => Number.isFinite(ms) && ms > 0), JSON.stringify(choice));
    const faster = ([cpu, gpu]) => (gpu < cpu * 0.9 ? 'webgpu' : 'cpu');
    assert.equal(kinds.kind, faster(inference), 'classifying runs on the faster backend');
    assert.equal(kinds.trainingKind, faster(training), 'training runs on the faster backend');
    // SwiftShader emulates a GPU on this machine's CPU cores: a software GPU must not make the page
    // slower than its CPU, so both jobs stay there.
    assert.deepEqual([kinds.kind, kinds.trainingKind], ['cpu', 'cpu'], choice.text);
    assert.match(choice.text, /classifying on the CPU \(.* ms an image on the CPU, .* on WebGPU\); training on the CPU/);
    await upload(page, [files['after.png']]);
    const after = await card(page, 'after.png');
    assert.deepEqual(after.logits, first.logits);

    // The visitor's switch wins: every job on WebGPU, and the automatic line goes.
    await page.click('[data-testid="use-webgpu"]');
    await page.waitForSelector('[data-testid="backend-kind"][data-kind="webgpu"][data-training-kind="webgpu"]', { timeout: 240_000 });
    assert.equal(await page.locator('[data-testid="backend-choice"]').count(), 0);
    assert.deepEqual(problems, []);
  } finally {
    await browser.close();
  }
});
