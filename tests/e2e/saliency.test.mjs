// Saliency on uploaded images: every method gives a map with structure, the class can be changed,
// and WebGPU's Grad-CAM agrees with the CPU's.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  serve, launch, openPage, waitReady, useBackend, cifarTestRecord, png, tempFiles, upload, CLASS_NAMES,
} from './lib.mjs';

let site;
before(async () => { site = await serve(); });
after(async () => { await site?.close(); });

/** Clicks Explain (if needed), sets method and class, and returns the finished map. */
async function explain(page, name, { method, cls }) {
  const card = page.locator(`[data-testid="result"][data-name="${name}"]`);
  const button = card.locator('[data-testid="explain-button"]');
  if (await button.count()) await button.click();
  await card.locator('[data-testid="saliency-method"]').selectOption(method);
  if (cls !== undefined) await card.locator('[data-testid="saliency-class"]').selectOption(String(cls));
  // The previous map stays on screen until the engine answers: wait for the one asked for.
  const label = { gradcam: 'Grad-CAM', gradient: 'Gradient', smoothgrad: 'SmoothGrad' }[method];
  const want = cls === undefined ? `${label} of ` : `${label} of “${CLASS_NAMES[cls]}”`;
  await card.locator('[data-testid="explain"][data-state="done"]').waitFor({ timeout: 240_000 });
  await page.waitForFunction(([name, want]) => {
    const el = document.querySelector(`[data-testid="result"][data-name="${name}"]`);
    return el?.querySelector('[data-testid="explain"]')?.dataset.state === 'done'
      && el.querySelector('[data-testid="saliency-caption"]')?.textContent.startsWith(want);
  }, [name, want], { timeout: 240_000 });
  return card.evaluate((el) => {
    const map = el.querySelector('[data-testid="saliency-map"]');
    const pixels = [...map.getContext('2d').getImageData(0, 0, 32, 32).data];
    return {
      spread: Number(map.dataset.spread),
      mean: Number(map.dataset.mean),
      pixels,
      caption: el.querySelector('[data-testid="saliency-caption"]').textContent,
    };
  });
}

test('gradient, SmoothGrad and Grad-CAM maps of an uploaded image, for any class', async () => {
  const browser = await launch({ webgpu: false });
  try {
    const { page, problems } = await openPage(browser, site, '?backend=cpu');
    await waitReady(page);
    const record = cifarTestRecord(13);
    const files = tempFiles({ 'horse.png': png(record.rgb) });
    await upload(page, [files['horse.png']]);
    for (const method of ['gradcam', 'gradient', 'smoothgrad']) {
      const map = await explain(page, 'horse.png', { method });
      console.log(`${method}: mean ${map.mean}, spread ${map.spread}; ${map.caption}`);
      assert.ok(map.spread > 10, `${method} map is flat: ${JSON.stringify({ mean: map.mean, spread: map.spread })}`);
      assert.match(map.caption, new RegExp(`of “${CLASS_NAMES[record.label]}”`), 'defaults to the top class');
    }
    const other = await explain(page, 'horse.png', { method: 'gradcam', cls: 3 });
    assert.match(other.caption, /Grad-CAM of “cat”/);
    // The overlay's opacity follows the slider.
    await page.locator('[data-testid="saliency-opacity"]').fill('25');
    const opacity = await page.locator('[data-testid="saliency-overlay"]').evaluate((el) => el.style.opacity);
    assert.equal(opacity, '0.25');
    assert.deepEqual(problems, []);
  } finally {
    await browser.close();
  }
});

test('Grad-CAM on WebGPU agrees with the CPU', async () => {
  const browser = await launch({ webgpu: true });
  try {
    const { page, problems } = await openPage(browser, site, '?backend=webgpu');
    assert.equal(await waitReady(page, 240_000), 'webgpu');
    const record = cifarTestRecord(13);
    const files = tempFiles({ 'gpu.png': png(record.rgb), 'cpu.png': png(record.rgb) });
    await upload(page, [files['gpu.png']], 240_000);
    const gpu = await explain(page, 'gpu.png', { method: 'gradcam' });
    await useBackend(page, 'cpu');
    await upload(page, [files['cpu.png']]);
    const cpu = await explain(page, 'cpu.png', { method: 'gradcam' });
    let diff = 0;
    for (let i = 0; i < gpu.pixels.length; i++) diff = Math.max(diff, Math.abs(gpu.pixels[i] - cpu.pixels[i]));
    console.log(`Grad-CAM WebGPU vs CPU: largest colour difference ${diff}`);
    assert.ok(gpu.spread > 10, `flat WebGPU map: ${gpu.spread}`);
    assert.ok(diff <= 8, `maps differ by up to ${diff}`);
    assert.deepEqual(problems, []);
  } finally {
    await browser.close();
  }
});
