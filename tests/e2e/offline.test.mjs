// Offline, installing and updates, from the sub-path the tests serve at. The page is installable
// (Chromium's own check, the manifest's fields and every icon). After one visit it opens,
// classifies, explains, trains (on the shards the engine cached) and teaches with the site
// unreachable;
// the UI starts only the engine of its own build; a new deploy is offered as a reload, and after
// it the old build's cache is gone.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { chromium } from 'playwright-core';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { serve, launch, waitReady, cifarTestRecord, png, tempFiles, upload, card, dist } from './lib.mjs';
import { records, shardSet, routes, startTraining, waitTraining } from './training.mjs';
import { openTeach, makeClasses, classFiles, train } from './teaching.mjs';

const small = shardSet([
  { file: 'train-000.bin', split: 'train', bytes: records('data_batch_1.bin', 0, 128) },
  { file: 'test-000.bin', split: 'test', bytes: records('test_batch.bin', 0, 50) },
]);
// Set to announce another deploy: sw.js then names this build instead of the built one.
let nextBuild = null;
const sw = () => readFileSync(join(dist, 'sw.js'), 'utf8');

let site;
before(async () => {
  site = await serve({
    ...routes('data/small', small),
    'sw.js': (req, res) => {
      if (!nextBuild) return false;
      res.writeHead(200, { 'content-type': 'text/javascript', 'cache-control': 'no-store' });
      res.end(sw().replace(/^const BUILD = '[^']*';$/m, `const BUILD = '${nextBuild}';`));
      return true;
    },
  });
});
after(async () => { await site?.close(); });

/** A fresh browser profile with one page; collects console errors and other-origin requests. */
async function visit(browser) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const problems = [];
  const workers = [];
  const requests = [];
  page.on('console', (msg) => { if (msg.type() === 'error') problems.push(`console: ${msg.text()}`); });
  page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
  page.on('worker', (worker) => workers.push(worker.url()));
  context.on('request', (req) => {
    requests.push(req.url());
    if (!req.url().startsWith(site.origin) && !/^(data|blob):/.test(req.url())) problems.push(`request to another origin: ${req.url()}`);
  });
  await page.goto(`${site.url}?backend=cpu#/classify`);
  assert.equal(await waitReady(page, 180_000), 'cpu');
  await page.waitForSelector('[data-testid="offline-status"][data-state="offline-ready"]', { timeout: 120_000 });
  return { context, page, problems, workers, requests };
}

const cacheNames = (page) => page.evaluate(() => caches.keys());

/** Width and height from a PNG's IHDR. */
const pngSize = (bytes) => [bytes.readUInt32BE(16), bytes.readUInt32BE(20)];

test('the page is installable: Chromium finds no installability error, the manifest has what installing needs, every icon is what it says', async () => {
  // A real profile: Chromium installs nothing from an incognito context (Playwright's default).
  const profile = mkdtempSync(join(tmpdir(), 'pinhole-profile-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', headless: true,
    args: ['--no-sandbox', '--no-first-run', '--disable-dev-shm-usage', '--disable-background-networking'],
  });
  try {
    const page = context.pages()[0] ?? await context.newPage();
    const problems = [];
    page.on('console', (msg) => { if (msg.type() === 'error') problems.push(`console: ${msg.text()}`); });
    page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
    await page.goto(`${site.url}?backend=cpu`);
    await waitReady(page, 180_000);
    await page.waitForSelector('[data-testid="offline-status"][data-state="offline-ready"]', { timeout: 120_000 });
    // The service worker controls the page once it is reloaded (installability needs one).
    await page.reload();
    await waitReady(page, 180_000);
    assert.ok(await page.evaluate(() => navigator.serviceWorker.controller !== null), 'the page is controlled');
    const cdp = await context.newCDPSession(page);
    const { installabilityErrors } = await cdp.send('Page.getInstallabilityErrors');
    assert.deepEqual(installabilityErrors, [], 'Chromium can install the page');
    const href = await page.getAttribute('link[rel="manifest"]', 'href');
    const manifestUrl = new URL(href, page.url()).href;
    const manifest = await (await page.request.get(manifestUrl)).json();
    for (const field of ['name', 'short_name', 'start_url', 'scope', 'id', 'background_color', 'theme_color']) {
      assert.ok(manifest[field], `the manifest has ${field}`);
    }
    assert.equal(manifest.display, 'standalone');
    // The start URL and scope stay under the sub-path the site is served from.
    assert.ok(new URL(manifest.start_url, manifestUrl).href.startsWith(site.url), manifest.start_url);
    assert.ok(new URL(manifest.scope, manifestUrl).href.startsWith(site.url), manifest.scope);
    const sizes = [];
    for (const icon of manifest.icons) {
      const response = await page.request.get(new URL(icon.src, manifestUrl).href);
      assert.equal(response.status(), 200, icon.src);
      assert.equal(response.headers()['content-type'], icon.type, icon.src);
      if (icon.type === 'image/png') {
        const [w, h] = pngSize(await response.body());
        assert.equal(`${w}x${h}`, icon.sizes, `${icon.src} is the size it says`);
        sizes.push(`${icon.sizes} ${icon.purpose}`);
      }
    }
    for (const needed of ['192x192 any', '512x512 any', '512x512 maskable']) {
      assert.ok(sizes.includes(needed), `an icon ${needed}: ${sizes}`);
    }
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
});

test('after one visit the page opens, classifies, explains, trains and teaches with the site unreachable', async () => {
  const browser = await launch({ webgpu: false });
  try {
    const { context, page, problems, workers, requests } = await visit(browser);
    const build = await page.getAttribute('meta[name="pinhole-build"]', 'content');
    assert.match(build, /^[0-9a-f]{12}$/);
    // The build's hooks both ran, in order: versioned names, then the CSP over the renamed loader.
    const html = readFileSync(join(dist, 'index.html'), 'utf8');
    assert.match(html, /http-equiv="Content-Security-Policy"/);
    assert.ok(html.includes(`pinhole-ui-${build}.js`));
    assert.ok(workers.length > 0 && workers.every((url) => url.endsWith(`/engine_loader-${build}.js`)),
      `the UI starts its own build's engine: ${workers}`);
    assert.ok((await cacheNames(page)).includes(`pinhole-app-${build}`));
    // The shipped weights and cards are named by their content, and the index is read for this
    // build: no cache can give a new engine an old network.
    const index = JSON.parse(readFileSync(join(dist, 'weights/index.json'), 'utf8'));
    for (const name of index.models.flatMap((m) => [m.file, m.card])) {
      const [, hash] = name.match(/-([0-9a-f]{12})\.(bin|json)$/) ?? [];
      assert.ok(hash, `a content-hashed name: ${name}`);
      assert.equal(createHash('sha256').update(readFileSync(join(dist, 'weights', name))).digest('hex').slice(0, 12), hash, name);
    }
    assert.ok(requests.some((url) => url.endsWith(`weights/index.json?build=${build}`)), `the index asked for by build: ${requests.filter((u) => u.includes('weights/'))}`);
    assert.ok(requests.some((url) => index.models.some((m) => url.endsWith(`weights/${m.file}`))), 'a hashed weights file was read');

    // Online, from the page the service worker now controls: a classification to compare with,
    // and one short run, so that the engine keeps the shards it checked.
    await page.reload();
    assert.equal(await waitReady(page, 180_000), 'cpu');
    assert.ok(await page.evaluate(() => navigator.serviceWorker.controller !== null), 'the page is controlled');
    const file = tempFiles({ 'online.png': png(cifarTestRecord(3).rgb), 'offline.png': png(cifarTestRecord(3).rgb) });
    await upload(page, [file['online.png']]);
    const online = await card(page, 'online.png');
    assert.equal(online.state, 'done');
    await page.click('[data-testid="nav-train"]');
    await startTraining(page, { manifest: 'data/small/manifest.json', batch: 32, epochs: 1 });
    await waitTraining(page, (t) => t.state === 'finished');

    // No network: the server drops every connection and the browser is offline.
    site.setDown(true);
    await context.setOffline(true);
    await page.goto(`${site.url}?backend=cpu#/classify`);
    assert.equal(await waitReady(page, 180_000), 'cpu');
    assert.equal(await page.getAttribute('meta[name="pinhole-build"]', 'content'), build);
    await upload(page, [file['offline.png']]);
    const offline = await card(page, 'offline.png');
    assert.equal(offline.state, 'done', `classified offline: ${offline.error}`);
    assert.deepEqual(offline.logits, online.logits, 'the same weights as online');
    const result = page.locator('[data-testid="result"][data-name="offline.png"]');
    await result.locator('[data-testid="explain-button"]').click();
    await result.locator('[data-testid="explain"][data-state="done"]').waitFor({ timeout: 240_000 });

    await page.click('[data-testid="nav-train"]');
    await page.click('[data-testid="discard-saved"]').catch(() => {});
    await startTraining(page, { manifest: 'data/small/manifest.json', batch: 32, epochs: 1 });
    const run = await waitTraining(page, (t) => t.state === 'finished');
    assert.equal(run.epochs.length, 1, 'an epoch with its test accuracy, trained offline');
    // Teach works offline too: the shipped backbone comes from the cache, the samples from files.
    await openTeach(page);
    await makeClasses(page, classFiles(0, 4, 'offline'));
    const taught = await train(page);
    assert.ok(taught.accuracy !== null, 'a head taught offline, with its held-out accuracy');

    // Whatever the browser tried while offline (update checks), nothing failed in the page.
    assert.deepEqual(problems.filter((p) => !/ServiceWorker|sw\.js|Failed to fetch|ERR_INTERNET_DISCONNECTED/.test(p)), []);
    await context.close();
  } finally {
    site.setDown(false);
    await browser.close();
  }
});

test('a new deploy is offered as a reload, and then replaces the old build whole', async () => {
  const browser = await launch({ webgpu: false });
  try {
    const { page, problems } = await visit(browser);
    const build = await page.getAttribute('meta[name="pinhole-build"]', 'content');
    nextBuild = 'f00dfeed0001';
    await page.evaluate(() => navigator.serviceWorker.getRegistration().then((r) => r.update()));
    await page.waitForSelector('[data-testid="update-ready"]', { timeout: 120_000 });
    // Until the visitor reloads, the running build keeps its files.
    assert.ok((await cacheNames(page)).includes(`pinhole-app-${build}`));
    await Promise.all([page.waitForEvent('load', { timeout: 120_000 }), page.click('[data-testid="update-reload"]')]);
    assert.equal(await waitReady(page, 180_000), 'cpu');
    await page.waitForFunction((next) => caches.keys().then((k) => k.includes(`pinhole-app-${next}`)), nextBuild);
    await page.waitForFunction((old) => caches.keys().then((k) => !k.includes(`pinhole-app-${old}`)), build);
    assert.equal(await page.locator('[data-testid="update-ready"]').count(), 0);
    assert.deepEqual(problems, []);
  } finally {
    nextBuild = null;
    await browser.close();
  }
});
