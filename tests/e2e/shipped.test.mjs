// The shipped weights give real answers in the page: ten CIFAR-10 test records, the first of each
// class in test_batch.bin (chosen by index, not by whether they pass), uploaded as PNGs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  serve, launch, openPage, waitReady, cifarTestRecord, png, tempFiles, upload, card, dist, CLASS_NAMES,
} from './lib.mjs';

let site;
before(async () => { site = await serve(); });
after(async () => { await site?.close(); });

/** Index of the first test record of each class. */
function firstOfEachClass() {
  const firsts = new Map();
  for (let i = 0; firsts.size < 10; i++) {
    const { label } = cifarTestRecord(i);
    if (!firsts.has(label)) firsts.set(label, i);
  }
  return [...firsts.entries()].sort((a, b) => a[0] - b[0]).map(([, index]) => index);
}

test('the shipped model classifies at least 8 of 10 CIFAR-10 test records right', async () => {
  const shipped = JSON.parse(readFileSync(join(dist, 'weights/index.json'))).models;
  assert.ok(shipped.length > 0, 'weights/index.json lists at least one model');
  const browser = await launch({ webgpu: false });
  try {
    const { page, problems } = await openPage(browser, site, '?backend=cpu');
    await waitReady(page);
    const indices = firstOfEachClass();
    const files = tempFiles(Object.fromEntries(
      indices.map((i) => [`test-${i}.png`, png(cifarTestRecord(i).rgb)])));
    await upload(page, Object.values(files));
    const answers = [];
    for (const i of indices) {
      const result = await card(page, `test-${i}.png`);
      assert.equal(result.state, 'done', `test-${i}.png: ${result.error}`);
      const predicted = result.top1.split(' ')[0];
      answers.push({ index: i, truth: CLASS_NAMES[cifarTestRecord(i).label], predicted });
    }
    const right = answers.filter((a) => a.truth === a.predicted).length;
    console.log(`shipped model: ${right}/10 right`, JSON.stringify(answers));
    assert.ok(right >= 8, `only ${right}/10 right: ${JSON.stringify(answers)}`);
    assert.deepEqual(problems, []);
  } finally {
    await browser.close();
  }
});
