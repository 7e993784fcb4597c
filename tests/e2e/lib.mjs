// Shared helpers for the end-to-end tests: a static server for dist/ under a sub-path, Debian's
// Chromium through playwright-core, and real CIFAR-10 test records as PNG files.
import { createServer } from 'node:http';
import { readFileSync, existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { join, extname, dirname, resolve } from 'node:path';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { deflateSync, crc32 } from 'node:zlib';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
export const repo = resolve(here, '../..');
// PINHOLE_DIST: another build folder (to look at a build while dist/ is in use).
export const dist = process.env.PINHOLE_DIST ?? join(repo, 'dist');
export const cifarDir = process.env.CIFAR10_DATA ?? resolve(repo, '../shared/data/cifar10');
export const CLASS_NAMES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];
/** The site is served under this sub-path, so every test also checks relative URLs. */
export const BASE = '/pinhole/';

/** The model the page opens with, by its rule (`ShippedIndex::default_preset`): the first of
 *  `full`, `fast`, `baseline` that weights/index.json lists. Returns the entry, its card and the
 *  content-hashed file name the build serves it under. */
export function defaultShipped() {
  const index = JSON.parse(readFileSync(join(repo, 'weights/index.json'), 'utf8'));
  const model = ['full', 'fast', 'baseline']
    .map((preset) => index.models.find((m) => m.preset === preset))
    .find(Boolean);
  if (!model) throw new Error('weights/index.json lists no model');
  // The build names weights by content (full-<hash>.bin); `served` is that name, from the
  // index the build wrote, which the page shows.
  const built = join(dist, 'weights/index.json');
  const served = existsSync(built)
    ? JSON.parse(readFileSync(built, 'utf8')).models.find((m) => m.preset === model.preset)?.file
    : undefined;
  return { ...model, served, card: JSON.parse(readFileSync(join(repo, 'weights', model.card), 'utf8')) };
}

const TYPES = {
  '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm', '.css': 'text/css',
  '.json': 'application/json', '.svg': 'image/svg+xml', '.png': 'image/png', '.bin': 'application/octet-stream',
  '.webmanifest': 'application/manifest+json',
};

/** Serves dist/ at http://127.0.0.1:PORT/pinhole/. `overrides` maps a path under the site to a
 *  function (req, res) => bool that may answer instead (to inject failures). `setDown(true)`
 *  makes the site unreachable (every connection is dropped, as with no network) and records
 *  what was asked for meanwhile in `requestsWhileDown`. */
export async function serve(overrides = {}) {
  if (!existsSync(join(dist, 'index.html'))) throw new Error(`no build at ${dist}: run trunk build first`);
  const requests = [];
  const requestsWhileDown = [];
  let down = false;
  const server = createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    if (down) { requestsWhileDown.push(url.pathname); req.socket.destroy(); return; }
    requests.push(url.pathname);
    if (!url.pathname.startsWith(BASE)) { res.writeHead(404).end(); return; }
    let rel = decodeURIComponent(url.pathname.slice(BASE.length)) || 'index.html';
    if (overrides[rel] && overrides[rel](req, res)) return;
    const file = join(dist, rel);
    if (!file.startsWith(dist) || !existsSync(file)) { res.writeHead(404).end('not found'); return; }
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
    res.end(readFileSync(file));
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  const origin = `http://127.0.0.1:${server.address().port}`;
  return {
    origin, url: origin + BASE, requests, requestsWhileDown,
    setDown: (value) => { down = value; if (value) server.closeAllConnections(); },
    close: () => { server.closeAllConnections(); return new Promise((ok) => server.close(ok)); },
  };
}

/** Headless Debian Chromium. `webgpu: true` adds the flags that expose SwiftShader's WebGPU. */
export async function launch({ webgpu = true, extraArgs = [] } = {}) {
  const args = [...extraArgs,
    '--no-sandbox', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage',
  ];
  if (webgpu) args.push('--enable-unsafe-webgpu', '--enable-unsafe-swiftshader');
  return chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', headless: true, args });
}

/** A page that records console errors, uncaught exceptions and requests to other origins. */
export async function openPage(browser, site, query = '', { init } = {}) {
  const page = await browser.newPage();
  if (init) await page.addInitScript(init);
  const problems = [];
  page.on('console', (msg) => { if (msg.type() === 'error') problems.push(`console: ${msg.text()}`); });
  page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
  page.on('request', (req) => {
    const url = req.url();
    if (!url.startsWith(site.origin) && !url.startsWith('data:') && !url.startsWith('blob:')) {
      problems.push(`request to another origin: ${url}`);
    }
  });
  await page.goto(site.url + query);
  return { page, problems };
}

/** Waits until the engine reports its backend and model. Returns the backend kind. */
export async function waitReady(page, timeout = 120_000) {
  await page.waitForSelector('[data-testid="backend-kind"][data-kind]', { timeout });
  await page.waitForSelector('[data-testid="model-preset"]', { timeout });
  await page.waitForFunction(() => !document.querySelector('[data-testid="busy"]'), null, { timeout });
  return page.getAttribute('[data-testid="backend-kind"]', 'data-kind');
}

/** Presses the header's switch to `kind` ('cpu' or 'webgpu') and waits until the engine is ready. */
export async function useBackend(page, kind) {
  await page.click(`[data-testid="use-${kind === 'cpu' ? 'cpu' : 'webgpu'}"]`);
  await page.waitForSelector(`[data-testid="backend-kind"][data-kind="${kind}"]`);
  await waitReady(page);
}

/** Records of test_batch.bin by index: { label, rgb (interleaved 32×32×3) }. */
export function cifarTestRecord(index) {
  const bytes = readFileSync(join(cifarDir, 'test_batch.bin'));
  const rec = bytes.subarray(index * 3073, (index + 1) * 3073);
  const rgb = Buffer.alloc(3072);
  for (let i = 0; i < 1024; i++) {
    rgb[3 * i] = rec[1 + i]; rgb[3 * i + 1] = rec[1 + 1024 + i]; rgb[3 * i + 2] = rec[1 + 2048 + i];
  }
  return { label: rec[0], rgb };
}

/** Encodes interleaved RGB as a PNG (8-bit, no filter). */
export function png(rgb, width = 32, height = 32) {
  const chunk = (type, data) => {
    const len = Buffer.alloc(4); len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type), data]);
    const crc = Buffer.alloc(4); crc.writeUInt32BE(crc32(td));
    return Buffer.concat([len, td, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0); ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; ihdr[9] = 2; // 8-bit truecolour
  const raw = Buffer.alloc(height * (1 + width * 3));
  for (let y = 0; y < height; y++) rgb.copy(raw, y * (1 + width * 3) + 1, y * width * 3, (y + 1) * width * 3);
  return Buffer.concat([
    Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** Writes files into a fresh temp folder and returns their paths. */
export function tempFiles(files) {
  const dir = mkdtempSync(join(tmpdir(), 'pinhole-e2e-'));
  return Object.fromEntries(Object.entries(files).map(([name, data]) => {
    const path = join(dir, name); writeFileSync(path, data); return [name, path];
  }));
}

/** Uploads files through the picker and waits until each has a finished card. */
export async function upload(page, paths, timeout = 120_000) {
  const before = await page.locator('[data-testid="result"]').count();
  await page.setInputFiles('[data-testid="file-input"]', paths);
  await page.waitForFunction(
    (n) => {
      const cards = [...document.querySelectorAll('[data-testid="result"]')];
      return cards.length >= n && cards.every((c) => c.dataset.state !== 'pending');
    },
    before + paths.length, { timeout },
  );
}

/** The finished card for a file name (newest first): { state, top1, logits, error }. */
export async function card(page, name) {
  return page.evaluate((name) => {
    const el = document.querySelector(`[data-testid="result"][data-name="${name}"]`);
    if (!el) return null;
    const top = el.querySelector('[data-testid="top1"]');
    const err = el.querySelector('[data-testid="result-error"]');
    return {
      state: el.dataset.state,
      top1: top?.textContent ?? null,
      logits: top ? JSON.parse(top.dataset.logits) : null,
      error: err?.textContent ?? null,
    };
  }, name);
}

export function artifactsDir() {
  const dir = join(here, 'artifacts'); mkdirSync(dir, { recursive: true }); return dir;
}

/** A y4m video (what Chromium's fake camera plays) of one 32×32 interleaved RGB image, scaled up
 *  `scale`× by pixel repetition, so that 2×2 chroma subsampling and the page's area-averaging
 *  downscale lose almost nothing. BT.601 limited range, which Chromium assumes for y4m. */
export function y4m(rgb, scale = 8, frames = 2) {
  const side = 32 * scale;
  const yPlane = Buffer.alloc(side * side);
  const uPlane = Buffer.alloc((side / 2) * (side / 2));
  const vPlane = Buffer.alloc((side / 2) * (side / 2));
  const px = (x, y) => { const i = 3 * (Math.floor(y / scale) * 32 + Math.floor(x / scale)); return [rgb[i], rgb[i + 1], rgb[i + 2]]; };
  const clamp = (v) => Math.max(0, Math.min(255, Math.round(v)));
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      const [r, g, b] = px(x, y);
      yPlane[y * side + x] = clamp(16 + (65.481 * r + 128.553 * g + 24.966 * b) / 255);
    }
  }
  for (let y = 0; y < side / 2; y++) {
    for (let x = 0; x < side / 2; x++) {
      let u = 0, v = 0;
      for (const [dx, dy] of [[0, 0], [1, 0], [0, 1], [1, 1]]) {
        const [r, g, b] = px(2 * x + dx, 2 * y + dy);
        u += 128 + (-37.797 * r - 74.203 * g + 112.0 * b) / 255;
        v += 128 + (112.0 * r - 93.786 * g - 18.214 * b) / 255;
      }
      uPlane[y * (side / 2) + x] = clamp(u / 4); vPlane[y * (side / 2) + x] = clamp(v / 4);
    }
  }
  const frame = Buffer.concat([Buffer.from('FRAME\n'), yPlane, uPlane, vPlane]);
  return Buffer.concat([Buffer.from(`YUV4MPEG2 W${side} H${side} F30:1 Ip A1:1 C420jpeg\n`), ...Array(frames).fill(frame)]);
}

/** Chromium flags for a fake camera; `video` plays that y4m file, `grant` answers the
 *  permission prompt with yes (otherwise it is denied). */
export function fakeCameraArgs({ video, grant = true } = {}) {
  const args = ['--use-fake-device-for-media-stream'];
  if (video) args.push(`--use-file-for-fake-video-capture=${video}`);
  args.push(grant ? '--use-fake-ui-for-media-stream' : '--deny-permission-prompts');
  return args;
}

/** Headless Chromium on the CPU path whose fake camera plays CIFAR-10 test record `record`. */
export function launchWithCamera(record, { webgpu = false } = {}) {
  const { 'camera.y4m': video } = tempFiles({ 'camera.y4m': y4m(cifarTestRecord(record).rgb) });
  return launch({ webgpu, extraArgs: fakeCameraArgs({ video }) });
}

/** Run before the page's scripts: keeps every camera stream the page opens in
 *  `window.__streams`, so a test can check that stopping released the tracks. */
export const RECORD_STREAMS = () => {
  const devices = navigator.mediaDevices;
  if (!devices) return;
  const open = devices.getUserMedia.bind(devices);
  window.__streams = [];
  devices.getUserMedia = async (constraints) => {
    const stream = await open(constraints);
    window.__streams.push(stream);
    return stream;
  };
};
