// Accessibility and layout: an axe-core audit of every page, each with real content (a classified and
// explained image, an evaluation, the data explorer's samples, the layer table, a training form),
// in light and in dark mode, must report no serious or critical violation; everything asked for
// works from the keyboard (confusion-matrix cells, the sample grid, the Teach page's Record
// button), focus is visible, the webcam's top class is announced politely and seldom, and no
// page is wider than a 360 px phone.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { serve, launch, launchWithCamera, waitReady } from './lib.mjs';
import { PAGES, showPage } from './content.mjs';

const axePath = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
let site;
before(async () => { site = await serve(); });
after(async () => { await site?.close(); });

/** A page under the page's CSP, with axe injected by the test (bypassing the CSP for it alone). */
async function open(browser, hash, { width = 1280 } = {}) {
  const context = await browser.newContext({ bypassCSP: true, viewport: { width, height: 900 } });
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
  await page.goto(`${site.url}?backend=cpu${hash}`);
  assert.equal(await waitReady(page, 180_000), 'cpu');
  return { context, page, problems };
}

/** Serious and critical axe violations of the page as it is now, in both colour schemes. */
async function audit(page, label) {
  const found = [];
  for (const colorScheme of ['light', 'dark']) {
    await page.emulateMedia({ colorScheme });
    // Colours ease between schemes (button backgrounds): measure the settled page.
    await page.waitForTimeout(400);
    if (!(await page.evaluate(() => typeof window.axe === 'object'))) await page.addScriptTag({ path: axePath });
    const violations = await page.evaluate(async () => {
      const result = await window.axe.run(document, { resultTypes: ['violations'] });
      return result.violations
        .filter((v) => v.impact === 'serious' || v.impact === 'critical')
        .map((v) => `${v.id} (${v.impact}): ${v.help}; ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`
          + (v.nodes.length > 3 ? ` and ${v.nodes.length - 3} more` : ''));
    });
    found.push(...violations.map((v) => `${label}, ${colorScheme}: ${v}`));
  }
  await page.emulateMedia({ colorScheme: 'light' });
  return found;
}


test('axe finds no serious or critical violation on any page, light or dark, with content on it', async () => {
  const browser = await launch({ webgpu: false });
  try {
    const { page, problems } = await open(browser, '#/classify');
    const violations = [];
    for (const slug of PAGES) {
      await showPage(page, slug);
      violations.push(...await audit(page, slug));
    }
    assert.deepEqual(violations, []);
    assert.deepEqual(problems, []);
  } finally {
    await browser.close();
  }
});

/** Presses Tab until `selector` has the focus (at most `limit` times). */
async function tabTo(page, selector, limit = 400) {
  for (let i = 0; i < limit; i++) {
    await page.keyboard.press('Tab');
    if (await page.evaluate((s) => document.activeElement?.matches(s), selector)) return;
  }
  throw new Error(`Tab never reached ${selector}`);
}

const focusRing = (page) => page.evaluate(() => {
  const style = getComputedStyle(document.activeElement);
  return { style: style.outlineStyle, width: parseFloat(style.outlineWidth) };
});

test('the keyboard reaches confusion cells, samples and Record, with a visible focus ring', async () => {
  const browser = await launchWithCamera(11);
  try {
    const { page, problems } = await open(browser, '#/evaluate');
    await page.selectOption('[data-testid="eval-limit"]', '500');
    // Without TTA: half the time, the same page.
    await page.uncheck('[data-testid="eval-tta"]');
    await page.focus('[data-testid="eval-run"]');
    await page.keyboard.press('Enter');
    await page.waitForSelector('[data-testid="eval-accuracy"]', { timeout: 300_000 });
    // Tab from the Run button into the matrix; Enter opens the focused cell's records.
    await tabTo(page, '[data-testid="confusion-cell"] button');
    const ring = await focusRing(page);
    assert.ok(ring.style !== 'none' && ring.width >= 2, `visible focus: ${JSON.stringify(ring)}`);
    const cell = await page.evaluate(() => {
      const td = document.activeElement.closest('td');
      return { truth: td.dataset.truth, predicted: td.dataset.predicted, count: td.dataset.count };
    });
    await page.keyboard.press('Enter');
    await page.waitForSelector(`[data-testid="cell-gallery"][data-count="${cell.count}"]`);
    assert.equal(await page.getAttribute('[data-testid="confusion-cell"].selected', 'data-truth'), cell.truth);

    await showPage(page, 'data');
    await page.focus('[data-testid="nav-data"]');
    await tabTo(page, 'button:has(> [data-testid="sample"])');
    const index = await page.evaluate(() => document.activeElement.querySelector('img').dataset.index);
    await page.keyboard.press('Enter');
    await page.waitForSelector(`[data-testid="augment"][data-index="${index}"]`, { timeout: 60_000 });

    // Teach: Space held on Record records from the camera, as a held pointer does.
    await showPage(page, 'teach');
    await page.click('[data-testid="teach-camera-toggle"]');
    await page.waitForSelector('[data-testid="teach-camera"][data-running="true"]');
    await page.waitForFunction(() => document.querySelector('[data-testid="teach-video"]').readyState >= 2);
    await page.focus('[data-testid="teach-class"] >> nth=0 >> [data-testid="record"]');
    await page.keyboard.down(' ');
    await page.waitForTimeout(1500);
    await page.keyboard.up(' ');
    const samples = Number(await page.getAttribute('[data-testid="teach-class"] >> nth=0', 'data-samples'));
    assert.ok(samples >= 3, `${samples} samples recorded from the keyboard`);
    assert.deepEqual(problems, []);
  } finally {
    await browser.close();
  }
});

test('the webcam top class is announced in a polite live region, at most every few seconds', async () => {
  const browser = await launchWithCamera(13);
  try {
    const { page, problems } = await open(browser, '#/classify');
    assert.equal(await page.getAttribute('[data-testid="live-announce"]', 'aria-live'), 'polite');
    await page.evaluate(() => {
      window.__announced = [];
      const el = document.querySelector('[data-testid="live-announce"]');
      new MutationObserver(() => window.__announced.push(el.textContent)).observe(el, { childList: true, characterData: true, subtree: true });
    });
    await page.click('[data-testid="camera-toggle"]');
    await page.waitForFunction(() => Number(document.querySelector('[data-testid="live-stats"]').dataset.frames) >= 1, null, { timeout: 120_000 });
    const top1 = await page.getAttribute('[data-testid="live-top"]', 'data-top1');
    await page.waitForFunction(() => window.__announced.length > 0, null, { timeout: 30_000 });
    // Frames keep coming; the same class is not announced again.
    const frames = Number(await page.getAttribute('[data-testid="live-stats"]', 'data-frames'));
    await page.waitForTimeout(4000);
    const later = Number(await page.getAttribute('[data-testid="live-stats"]', 'data-frames'));
    const announced = await page.evaluate(() => window.__announced.filter((t) => t !== ''));
    assert.ok(later > frames, 'frames keep arriving');
    assert.equal(announced.length, 1, `announced once for ${later} frames: ${JSON.stringify(announced)}`);
    assert.match(announced[0], new RegExp(`^Camera: ${top1}, \\d+%$`));
    assert.deepEqual(problems, []);
  } finally {
    await browser.close();
  }
});

test('no page is wider than a 360 px phone, with content on it', async () => {
  const browser = await launch({ webgpu: false });
  try {
    const { page, problems } = await open(browser, '#/classify', { width: 360 });
    const wider = [];
    for (const slug of PAGES) {
      await showPage(page, slug);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      if (overflow > 0) wider.push(`${slug}: ${overflow} px too wide`);
    }
    assert.deepEqual(wider, []);
    assert.deepEqual(problems, []);
  } finally {
    await browser.close();
  }
});
