// The CPU worker pool (issue 23): helper workers, each its own wasm instance holding the same
// network, take a share of batch work. Their results must be one worker's, bit for bit; a helper
// that dies must cost nothing the visitor asked for.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { serve, launch, openPage, waitReady, cifarTestRecord, png, tempFiles, upload, card, artifactsDir } from './lib.mjs';
import { records as cifarRecords, shardSet, routes, training, waitTraining, startTraining } from './training.mjs';
import { classFiles, openTeach, makeClasses, train as teach } from './teaching.mjs';

// 256 training records in two shards: at batch 64, four steps an epoch, each of two ghost batches
// of 32 (one per worker with two workers).
const pooled = shardSet([
  { file: 'train-000.bin', split: 'train', bytes: cifarRecords('data_batch_1.bin', 0, 128) },
  { file: 'train-001.bin', split: 'train', bytes: cifarRecords('data_batch_1.bin', 128, 128) },
  { file: 'test-000.bin', split: 'test', bytes: cifarRecords('test_batch.bin', 0, 100) },
]);
const PLAN = { manifest: 'data/pooled/manifest.json', batch: 64, epochs: 2 };
const STEPS = 2 * 256 / 64;

let site;
before(async () => { site = await serve(routes('data/pooled', pooled)); });
after(async () => { await site?.close(); });

const COUNT = 12;
/** COUNT real test records as PNG files named `${prefix}N.png`. */
function records(prefix) {
  return Object.values(tempFiles(Object.fromEntries(
    Array.from({ length: COUNT }, (_, i) => [`${prefix}${i}.png`, png(cifarTestRecord(i).rgb)]),
  )));
}

async function logitsOf(page, prefix) {
  const out = [];
  for (let i = 0; i < COUNT; i++) {
    const c = await card(page, `${prefix}${i}.png`);
    assert.equal(c?.state, 'done', `${prefix}${i}.png: ${JSON.stringify(c)}`);
    out.push(c.logits);
  }
  return out;
}

/** The Speed page's pool line once `ready` workers take work. */
async function poolReady(page, ready, timeout = 60_000) {
  await page.click('[data-testid="nav-benchmark"]');
  const status = page.locator(`[data-testid="pool-status"][data-ready="${ready}"]`);
  await status.waitFor({ timeout });
  return {
    text: await status.textContent(),
    wanted: Number(await status.getAttribute('data-wanted')),
    cores: Number(await status.getAttribute('data-cores')),
  };
}

test('cpu pool: two workers classify a batch exactly as one; a crashed worker costs no image, and the pool can be set again', async () => {
  const browser = await launch({ webgpu: false });
  try {
    // One worker: the reference.
    const single = await openPage(browser, site, '?backend=cpu&workers=1');
    assert.equal(await waitReady(single.page), 'cpu');
    assert.equal((await poolReady(single.page, 1)).wanted, 1);
    await single.page.click('[data-testid="nav-classify"]');
    await upload(single.page, records('one-'));
    const reference = await logitsOf(single.page, 'one-');
    assert.deepEqual(single.problems, []);
    await single.page.close();

    // Two workers, with the test faults on.
    const { page, problems } = await openPage(browser, site, '?backend=cpu&workers=2&test-faults');
    assert.equal(await waitReady(page), 'cpu');
    const pool = await poolReady(page, 2);
    assert.equal(pool.wanted, 2);
    assert.ok(pool.cores >= 1, pool.text);
    assert.match(pool.text, /2 of 2/, pool.text);
    await page.click('[data-testid="nav-classify"]');
    await upload(page, records('two-'));
    assert.deepEqual(await logitsOf(page, 'two-'), reference, 'two workers give one worker\'s logits');

    // The Speed page's inference benchmark splits its batch across both.
    await page.click('[data-testid="nav-benchmark"]');
    await page.fill('[data-testid="bench-runs"]', '1');
    await page.dispatchEvent('[data-testid="bench-runs"]', 'change');
    await page.click('[data-testid="run-benchmark"]');
    await page.waitForSelector('[data-testid="benchmark-json"]', { timeout: 300_000 });
    const bench = JSON.parse(await page.textContent('[data-testid="benchmark-json"]'));
    for (const row of bench) {
      // baseline runs on Burn's kernels, in the engine alone.
      assert.equal(row.workers, row.preset === 'baseline' ? 1 : 2, JSON.stringify(row));
      assert.ok(row.images_per_second > 0, JSON.stringify(row));
    }
    await poolReady(page, 2);
    await page.click('[data-testid="nav-classify"]');

    // A helper crashes while a drop is being classified: every image still gets its answer.
    await page.setInputFiles('[data-testid="file-input"]', records('crash-'));
    await page.evaluate(() => window.__pinholeFaults.crashWorker());
    await page.waitForFunction((n) => {
      const cards = [...document.querySelectorAll('[data-testid="result"][data-name^="crash-"]')];
      return cards.length === n && cards.every((c) => c.dataset.state !== 'pending');
    }, COUNT, { timeout: 120_000 });
    assert.deepEqual(await logitsOf(page, 'crash-'), reference, 'after the crash, still one worker\'s logits');
    const shrunk = await poolReady(page, 1);
    assert.match(await page.textContent('[data-testid="pool-problem"]'), /stopped/);
    assert.match(shrunk.text, /1 of 2/, shrunk.text);

    // The visitor sets the pool again: it grows back.
    await page.fill('[data-testid="workers-count"]', '2');
    await page.click('[data-testid="set-workers"]');
    await poolReady(page, 2);
    await page.click('[data-testid="nav-classify"]');
    await upload(page, records('again-'));
    assert.deepEqual(await logitsOf(page, 'again-'), reference);
    // The crash itself is reported on the console by the dying helper; nothing else may be.
    assert.deepEqual(problems.filter((p) => !/told to crash/.test(p)), []);
  } finally {
    await browser.close();
  }
});

/** The epoch table as the page prints it (epoch, loss, accuracies), without its times. */
const epochRows = (page) => page.evaluate(() => [...document.querySelectorAll('[data-testid="epoch-row"]')]
  .map((r) => [...r.querySelectorAll('td')].slice(0, -1).map((td) => td.textContent).join(' | ')));

/** The finished run's weights, exported from the page. */
async function exportedWeights(page) {
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid="export-safetensors"]')]);
  return readFileSync(await download.path());
}

/** A safetensors file's tensors by name: dtype, shape and raw bytes (its metadata's key order
 *  varies from one export to the next, so files are compared tensor by tensor). */
function tensors(file) {
  const length = Number(file.readBigUInt64LE(0));
  const header = JSON.parse(file.subarray(8, 8 + length).toString('utf8'));
  delete header.__metadata__;
  const data = file.subarray(8 + length);
  return Object.fromEntries(Object.entries(header).sort(([a], [b]) => a.localeCompare(b)).map(([name, t]) => [
    name, { dtype: t.dtype, shape: t.shape, hex: data.subarray(t.data_offsets[0], t.data_offsets[1]).toString('hex') },
  ]));
}

function assertSameTensors(actual, expected, message) {
  const [a, e] = [tensors(actual), tensors(expected)];
  assert.deepEqual(Object.keys(a), Object.keys(e), message);
  for (const name of Object.keys(e)) assert.ok(a[name].hex === e[name].hex && String(a[name].shape) === String(e[name].shape), `${message}: ${name} differs`);
  assert.ok(Object.keys(e).length > 10, `the file holds the network: ${Object.keys(e).length} tensors`);
}

/** Trains PLAN to its end on the page's pool; returns what the run left. */
async function trainToEnd(page, { crashAtStep } = {}) {
  await page.click('[data-testid="nav-train"]');
  await startTraining(page, PLAN);
  const workers = [];
  let crashed = false;
  for (;;) {
    const t = await waitTraining(page, (t) => t.state === 'finished' || (t.state === 'running' && t.step >= 1), 600_000);
    workers.push(Number(await page.getAttribute('[data-testid="training"]', 'data-workers')));
    if (crashAtStep !== undefined && !crashed && t.step >= crashAtStep) {
      await page.evaluate(() => window.__pinholeFaults.crashWorker());
      crashed = true;
    }
    if (t.state === 'finished') break;
    await page.waitForTimeout(100);
  }
  const done = await training(page);
  assert.equal(done.step, STEPS);
  return { workers, rows: await epochRows(page), lossPoints: done.lossPoints, weights: await exportedWeights(page) };
}

test('cpu pool: training on two workers is one worker\'s run bit for bit, a worker that dies mid-run changes nothing, and a reload mid-run resumes on the pool', async () => {
  const browser = await launch({ webgpu: false });
  try {
    const single = await openPage(browser, site, '?backend=cpu&workers=1');
    assert.equal(await waitReady(single.page), 'cpu');
    await poolReady(single.page, 1);
    const reference = await trainToEnd(single.page);
    assert.ok(reference.workers.every((w) => w === 1), `one worker: ${reference.workers}`);
    assert.deepEqual(single.problems, []);
    await single.page.close();

    const { page, problems } = await openPage(browser, site, '?backend=cpu&workers=2&test-faults');
    assert.equal(await waitReady(page), 'cpu');
    await poolReady(page, 2);
    const two = await trainToEnd(page);
    assert.ok(two.workers.includes(2), `the steps went to both workers: ${two.workers}`);
    assert.deepEqual(two.rows, reference.rows, 'the same losses and test accuracies');
    assertSameTensors(two.weights, reference.weights, 'the same trained weights, bit for bit');
    const [first, last] = [two.rows[0], two.rows[1]].map((r) => Number(r.split(' | ')[1]));
    assert.ok(last < first, `the training loss falls: ${two.rows}`);

    // A helper dies in the middle of the next run: the engine redoes its share, the run goes on.
    await poolReady(page, 2);
    await page.click('[data-testid="nav-train"]');
    const crash = await trainToEnd(page, { crashAtStep: 2 });
    assertSameTensors(crash.weights, reference.weights, 'a worker lost mid-run changes no weight');
    assert.equal(crash.workers.at(-1), 1, `after the crash the engine trains alone: ${crash.workers}`);
    await poolReady(page, 1);
    assert.match(await page.textContent('[data-testid="pool-problem"]'), /stopped|redone/);

    // Reload in the middle of a run whose steps both workers share: the saved run resumes on the
    // pool and finishes.
    await page.reload();
    assert.equal(await waitReady(page), 'cpu');
    await poolReady(page, 2);
    await page.click('[data-testid="nav-train"]');
    await startTraining(page, PLAN);
    const saved = await waitTraining(page, (t) => t.checkpoint !== null && t.checkpoint >= STEPS / 2);
    assert.equal(Number(await page.getAttribute('[data-testid="training"]', 'data-workers')), 2);
    await page.reload();
    assert.equal(await waitReady(page), 'cpu');
    await poolReady(page, 2);
    await page.click('[data-testid="nav-train"]');
    await page.waitForSelector('[data-testid="saved-run"]');
    assert.ok(Number(await page.getAttribute('[data-testid="saved-run"]', 'data-step')) >= saved.checkpoint);
    await page.click('[data-testid="resume-saved"]');
    const resumed = await waitTraining(page, (t) => t.state === 'finished', 600_000);
    assert.equal(resumed.step, STEPS);
    assert.equal(resumed.epochs.length, 2, 'the resumed run keeps its first epoch');
    assert.equal(Number(await page.getAttribute('[data-testid="training"]', 'data-workers')), 2);
    // Not compared with the reference's weights: a resumed run in the page does not yet end with
    // the uninterrupted run's bits, on one worker either (README, "The CPU worker pool").
    assert.ok(tensors(await exportedWeights(page))['Airbench.groups.0.conv1.weight'], 'the resumed network exports');
    assert.deepEqual(problems.filter((p) => !/told to crash/.test(p)), []);
  } finally {
    await browser.close();
  }
});

test('cpu pool: Teach computes its features on two workers and teaches the head one worker teaches', async () => {
  // The same samples in the same order on both: the one-worker page makes them from files, the
  // two-worker page imports its project file (uploads may finish in any order).
  const files = classFiles(0, 8, 'pool');
  const project = join(artifactsDir(), 'pool-teach.pinhole');
  const taught = [];
  for (const workers of [1, 2]) {
    const browser = await launch({ webgpu: false });
    try {
      const { page, problems } = await openPage(browser, site, `?backend=cpu&workers=${workers}`);
      assert.equal(await waitReady(page), 'cpu');
      await poolReady(page, workers);
      await openTeach(page);
      if (workers === 1) {
        await makeClasses(page, files);
      } else {
        await page.setInputFiles('[data-testid="teach-import-project"]', project);
        await page.waitForFunction(() => document.querySelectorAll('[data-testid="teach-class"]').length === 3);
      }
      const state = await teach(page);
      const result = page.locator('[data-testid="teach-result"]');
      const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid="teach-export-network"]')]);
      taught.push({
        accuracy: state.accuracy,
        by: await result.getAttribute('data-features-by'),
        ms: Number(await result.getAttribute('data-feature-ms')),
        network: readFileSync(await download.path()),
      });
      if (workers === 1) {
        const [saved] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid="teach-export-project"]')]);
        await saved.saveAs(project);
      }
      assert.deepEqual(problems, []);
    } finally {
      await browser.close();
    }
  }
  const [one, two] = taught;
  console.log(`teach features (24 samples): ${one.ms.toFixed(0)} ms by ${one.by}, ${two.ms.toFixed(0)} ms by ${two.by}`);
  assert.equal(one.by, 'the CPU kernels');
  assert.equal(two.by, 'the CPU kernels on 2 workers');
  assert.equal(two.accuracy, one.accuracy);
  assertSameTensors(two.network, one.network, 'the network taught on two workers');
});
