// Training helpers shared by the e2e tests: shard sets served by the test server, the training
// form, and the training panel's state.
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { cifarDir, CLASS_NAMES } from './lib.mjs';

export const RECORD = 3073;
export const records = (file, from, n) => readFileSync(join(cifarDir, file)).subarray(from * RECORD, (from + n) * RECORD);

/** A shard set as the server's files: { 'manifest.json': …, 'train-000.bin': … }. */
export function shardSet(shards) {
  const files = {};
  const entries = shards.map(({ file, split, bytes, served }) => {
    files[file] = served ?? bytes;
    return { file, split, records: bytes.length / RECORD, sha256: createHash('sha256').update(bytes).digest('hex') };
  });
  files['manifest.json'] = Buffer.from(JSON.stringify({
    format_version: 1, dataset: 'CIFAR-10', class_names: CLASS_NAMES, shards: entries,
  }));
  return files;
}

export const routes = (prefix, files) => Object.fromEntries(Object.entries(files).map(([name, body]) => [
  `${prefix}/${name}`, (req, res) => { res.writeHead(200, { 'cache-control': 'no-store' }); res.end(body); return true; },
]));

export async function setField(page, testid, value) {
  await page.fill(`[data-testid="${testid}"]`, String(value));
  await page.dispatchEvent(`[data-testid="${testid}"]`, 'change');
}

export async function training(page) {
  return page.evaluate(() => {
    const el = document.querySelector('[data-testid="training"]');
    const loss = document.querySelector('[data-testid="loss-chart"] polyline');
    return el && {
      state: el.dataset.state,
      step: Number(el.dataset.step),
      checkpoint: el.dataset.checkpoint === '' ? null : Number(el.dataset.checkpoint),
      message: document.querySelector('[data-testid="training-message"]')?.textContent ?? null,
      lossPoints: loss ? Number(loss.dataset.points) : 0,
      epochs: [...document.querySelectorAll('[data-testid="epoch-row"]')].map((r) => Number(r.dataset.testAccuracy)),
    };
  });
}

// 15 min: WebGPU `fast` on SwiftShader needed about 340 s for its first 16 steps on a 2-core machine
// on 2026-11-30 (a 300 s limit timed out at step 14); an upper bound, not a speed target.
export async function waitTraining(page, predicate, timeout = 900_000) {
  const start = Date.now();
  for (;;) {
    const t = await training(page);
    if (t && predicate(t)) return t;
    if (t?.state === 'failed') {
      // Why the engine stopped, if it did, is in the header's notice.
      const notice = await page.evaluate(() => document.querySelector('[data-testid="backend-notice"]')?.textContent ?? '');
      throw new Error(`training failed: ${t.message} ${notice}`.trim());
    }
    if (t?.state === 'paused' && t.message) throw new Error(`training paused: ${t.message}`);
    if (Date.now() - start > timeout) throw new Error(`timed out; training is ${JSON.stringify(t)}`);
    await page.waitForTimeout(250);
  }
}

export async function startTraining(page, { manifest, batch, epochs, preset = 'fast' }) {
  await page.selectOption('[data-testid="train-preset"]', preset);
  await setField(page, 'manifest-url', manifest);
  await setField(page, 'train-batch', batch);
  await setField(page, 'train-epochs', epochs);
  await page.click('[data-testid="train-start"]');
}

