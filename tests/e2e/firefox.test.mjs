// The page in Firefox (Debian's firefox-esr, driven by puppeteer-core over WebDriver BiDi): most
// visitors do not use Chromium. It must start, choose its backend (Firefox ESR on Linux has no
// WebGPU, so the CPU), classify uploads with the same logits as the native CLI, refuse a bad file
// by name, classify Firefox's fake camera stream live, keep a Teach project across a reload
// (IndexedDB) and teach a head, train a short run, come back from its service worker offline,
// and ask no other origin for anything.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import puppeteer from 'puppeteer-core';
import { serve, cifarTestRecord, png, tempFiles, repo, defaultShipped, artifactsDir } from './lib.mjs';
import { records, shardSet, routes } from './training.mjs';

const FIREFOX = process.env.PINHOLE_FIREFOX ?? '/usr/bin/firefox-esr';

// A small shard set for a short training run.
const small = shardSet([
  { file: 'train-000.bin', split: 'train', bytes: records('data_batch_1.bin', 0, 128) },
  { file: 'test-000.bin', split: 'test', bytes: records('test_batch.bin', 0, 50) },
]);

let site;
before(async () => { site = await serve(routes('data/small', small)); });
after(async () => { await site?.close(); });

/** Largest |Δ| over the largest |logit|: f32 in another order (packed wasm vs Burn natively). */
function relativeGap(expected, got) {
  const scale = Math.max(...expected.map(Math.abs));
  return Math.max(...expected.map((e, i) => Math.abs(e - got[i]))) / scale;
}

async function ready(page) {
  await page.waitForSelector('[data-testid="backend-kind"][data-kind]', { timeout: 180_000 });
  await page.waitForSelector('[data-testid="model-preset"]', { timeout: 180_000 });
  await page.waitForFunction(() => !document.querySelector('[data-testid="busy"]'), { timeout: 180_000 });
  return page.$eval('[data-testid="backend-kind"]', (e) => e.dataset.kind);
}

/** Chooses files in the picker and waits until `count` cards are finished. */
async function choose(page, paths, count) {
  const input = await page.$('[data-testid="file-input"]');
  await input.uploadFile(...paths);
  await page.waitForFunction((n) => {
    const cards = [...document.querySelectorAll('[data-testid="result"]')];
    return cards.length >= n && cards.every((c) => c.dataset.state !== 'pending');
  }, { timeout: 120_000 }, count);
}

const resultCard = (page, name) => page.$eval(`[data-testid="result"][data-name="${name}"]`, (el) => {
  const top = el.querySelector('[data-testid="top1"]');
  return {
    state: el.dataset.state,
    top1: top?.textContent ?? null,
    logits: top ? JSON.parse(top.dataset.logits) : null,
    error: el.querySelector('[data-testid="result-error"]')?.textContent ?? null,
  };
});

test('Firefox: the page starts on the CPU, classifies uploads as the CLI does and the camera live, teaches, trains, works offline, and asks no other origin', async () => {
  const browser = await puppeteer.launch({
    browser: 'firefox', executablePath: FIREFOX, headless: true,
    // Firefox's own fake camera (a moving test pattern), granted without a prompt.
    extraPrefsFirefox: { 'media.navigator.streams.fake': true, 'media.navigator.permission.disabled': true },
  });
  try {
    const page = await browser.newPage();
    const problems = [];
    page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('request', (r) => {
      const url = r.url();
      if (!url.startsWith(site.origin) && !url.startsWith('data:') && !url.startsWith('blob:')) {
        problems.push(`request to another origin: ${url}`);
      }
    });
    await page.goto(site.url);
    const kind = await ready(page);
    const hasWebGpu = await page.evaluate(() => 'gpu' in navigator);
    console.log(`# ${await browser.version()}: backend ${kind}, navigator.gpu ${hasWebGpu ? 'present' : 'absent'}`);
    if (!hasWebGpu) assert.equal(kind, 'cpu', 'without WebGPU the page runs on the CPU');

    // The same logits as the native CLI on the shipped network (packed wasm kernels against
    // Burn natively: f32 rounding only, bound as the Chromium WebGPU check's 1e-3).
    const files = tempFiles({
      'record0.png': png(cifarTestRecord(0).rgb),
      'notes.png': 'this is not an image\n',
    });
    await choose(page, [files['record0.png']], 1);
    const good = await resultCard(page, 'record0.png');
    assert.equal(good.state, 'done');
    assert.match(good.top1, /^[a-z]+ \d+%$/);
    const weights = join(repo, 'weights', defaultShipped().file);
    const out = execFileSync('cargo', ['run', '-q', '-p', 'pinhole-cli', '--bin', 'pinhole', '--', 'classify',
      '--weights', weights, '--logits', files['record0.png']], { cwd: repo, encoding: 'utf8' });
    const native = JSON.parse(out.split('\n').find((l) => l.startsWith('{'))).logits;
    const gap = relativeGap(native, good.logits);
    console.log(`# Firefox logits within ${gap.toExponential(2)} of the CLI's (relative)`);
    assert.ok(gap < 1e-3, `relative gap ${gap}`);

    // A bad file is refused by name, and the page goes on.
    await choose(page, [files['notes.png']], 2);
    const bad = await resultCard(page, 'notes.png');
    assert.equal(bad.state, 'failed');
    assert.ok(bad.error.includes('notes.png') && /not an image/.test(bad.error), bad.error);

    // The camera: Firefox's fake stream is classified frame after frame, then released.
    await page.click('[data-testid="camera-toggle"]');
    await page.waitForFunction(() => Number(document.querySelector('[data-testid="live-stats"]')?.dataset.frames ?? 0) >= 5, { timeout: 120_000 });
    const live = await page.$eval('[data-testid="live-top"]', (e) => e.dataset.top1);
    assert.ok(live, 'a live top-1');
    await page.click('[data-testid="camera-toggle"]');
    await page.waitForFunction(() => document.querySelector('[data-testid="webcam"]')?.dataset.running !== 'true', { timeout: 30_000 });

    // Teach: a class renamed and given two samples is kept in IndexedDB across a reload.
    await page.goto(`${site.url}#/teach`);
    await ready(page);
    const first = '[data-testid="teach-class"]';
    await page.waitForSelector(first, { timeout: 60_000 });
    const nameBox = await page.$(`${first} [data-testid="class-name"]`);
    await nameBox.click({ count: 3 });
    await nameBox.type('firefox mugs');
    await nameBox.press('Enter');
    const renamed = '[data-testid="teach-class"][data-name="firefox mugs"]';
    await page.waitForSelector(renamed, { timeout: 30_000 });
    const samples = tempFiles({ 'a.png': png(cifarTestRecord(1).rgb), 'b.png': png(cifarTestRecord(2).rgb) });
    const picker = await page.$(`${renamed} [data-testid="class-files"]`);
    await picker.uploadFile(samples['a.png'], samples['b.png']);
    await page.waitForSelector(`${renamed}[data-samples="2"]`, { timeout: 60_000 });
    await page.reload();
    await ready(page);
    await page.waitForSelector(`${renamed}[data-samples="2"]`, { timeout: 60_000 });

    // A head taught on the two classes (three samples of the second).
    const second = '[data-testid="teach-class"]:nth-child(2)';
    const more = tempFiles(Object.fromEntries([3, 4, 5].map((i) => [`c${i}.png`, png(cifarTestRecord(i).rgb)])));
    await (await page.$(`${second} [data-testid="class-files"]`)).uploadFile(...Object.values(more));
    await page.waitForSelector(`${second}[data-samples="3"]`, { timeout: 60_000 });
    await page.click('[data-testid="teach-train"]');
    await page.waitForSelector('[data-testid="teach"][data-teaching="false"] [data-testid="teach-result"]', { timeout: 300_000 });
    assert.equal(await page.$('[data-testid="teach-error"]'), null, 'teaching succeeded');

    // A short training run on the small shard set.
    await page.goto(`${site.url}#/train`);
    await ready(page);
    const field = async (testid, value) => {
      await page.$eval(`[data-testid="${testid}"]`, (el, v) => {
        el.value = v;
        el.dispatchEvent(new Event('input', { bubbles: true }));
        el.dispatchEvent(new Event('change', { bubbles: true }));
      }, String(value));
    };
    await page.select('[data-testid="train-preset"]', 'fast');
    await field('manifest-url', 'data/small/manifest.json');
    await field('train-batch', 32);
    await field('train-epochs', 1);
    await page.click('[data-testid="train-start"]');
    await page.waitForFunction(() => {
      const state = document.querySelector('[data-testid="training"]')?.dataset.state;
      if (state === 'failed') throw new Error(document.querySelector('[data-testid="training-message"]')?.textContent);
      return state === 'finished';
    }, { timeout: 300_000 });
    const epochs = await page.$$eval('[data-testid="epoch-row"]', (rows) => rows.map((r) => Number(r.dataset.testAccuracy)));
    assert.equal(epochs.length, 1, 'one epoch with its test accuracy');

    // The service worker took the page over: it opens again with the site down.
    await page.waitForFunction(() => navigator.serviceWorker?.controller != null, { timeout: 60_000 });
    site.setDown(true);
    try {
      await page.reload();
      assert.equal(await ready(page), kind, 'offline, the page starts again from its cache');
    } finally {
      site.setDown(false);
    }
    await page.screenshot({ path: join(artifactsDir(), 'firefox-teach.png') });
    assert.deepEqual(problems, []);
  } finally {
    await browser.close();
  }
});
