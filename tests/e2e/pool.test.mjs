// The CPU worker pool (issue 23): helper workers, each its own wasm instance holding the same
// network, take a share of batch work. Their results must be one worker's, bit for bit; a helper
// that dies must cost nothing the visitor asked for.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serve, launch, openPage, waitReady, cifarTestRecord, png, tempFiles, upload, card } from './lib.mjs';

let site;
before(async () => { site = await serve(); });
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
