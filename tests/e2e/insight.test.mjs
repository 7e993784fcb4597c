// The insight pages on the real shipped model and real CIFAR-10 shards (dist/data/cifar10, made by
// `make shards`): the evaluate page's figures equal `pinhole eval --json` for the same weights and
// records; the data explorer, the architecture table and the model card show real numbers; and
// every page is reachable and reloadable under the /pinhole/ sub-path.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { serve, launch, openPage, waitReady, repo, cifarDir, CLASS_NAMES, defaultShipped } from './lib.mjs';

let site;
before(async () => { site = await serve(); });
after(async () => { await site?.close(); });

const RECORDS = 500;
const shipped = defaultShipped();

/** `pinhole eval --json` on the first RECORDS test records (the CLI the README documents). */
function cliEval(tta) {
  const args = ['run', '--quiet', '--locked', '--bin', 'pinhole', '--', 'eval', '--weights', `weights/${shipped.file}`,
    '--data', join(cifarDir, 'test_batch.bin'), '--limit', String(RECORDS), '--json'];
  if (tta) args.push('--tta');
  return JSON.parse(execFileSync('cargo', args, { cwd: repo, encoding: 'utf8', maxBuffer: 1 << 24 }));
}

async function pageReport(page) {
  return page.evaluate(() => {
    const confusion = Array.from({ length: 10 }, () => Array(10).fill(0));
    for (const td of document.querySelectorAll('[data-testid="confusion-cell"]')) {
      confusion[Number(td.dataset.truth)][Number(td.dataset.predicted)] = Number(td.dataset.count);
    }
    const rows = [...document.querySelectorAll('[data-testid="class-row"]')];
    return {
      confusion,
      f1: rows.map((r) => Number(r.dataset.f1)),
      auc: rows.map((r) => Number(r.dataset.auc)),
    };
  });
}

function assertSameFigures(name, shown, cli) {
  assert.deepEqual(shown.confusion, cli.confusion, `${name}: confusion matrix`);
  // One F1 and one ROC-AUC per class (forEach over an empty list would check nothing).
  assert.equal(shown.f1.length, 10, `${name}: F1 per class`);
  assert.equal(shown.auc.length, 10, `${name}: ROC-AUC per class`);
  shown.f1.forEach((f1, c) => assert.ok(Math.abs(f1 - cli.per_class[c].f1) < 1e-9, `${name} F1 of ${CLASS_NAMES[c]}: ${f1} vs ${cli.per_class[c].f1}`));
  // The probabilities come from the same network on another build of the same CPU backend: the
  // ranking behind ROC-AUC may differ in the last float bits, not more.
  shown.auc.forEach((auc, c) => assert.ok(Math.abs(auc - cli.roc_auc[c]) < 1e-3, `${name} ROC-AUC of ${CLASS_NAMES[c]}: ${auc} vs ${cli.roc_auc[c]}`));
}

test('evaluate: the page equals `pinhole eval --json` on the same weights and records', async () => {
  const plain = cliEval(false);
  const tta = cliEval(true);
  assert.equal(plain.records, RECORDS);
  const browser = await launch({ webgpu: false });
  try {
    const { page, problems } = await openPage(browser, site, '?backend=cpu#/evaluate');
    assert.equal(await waitReady(page, 180_000), 'cpu');
    assert.equal(await page.getAttribute('[data-testid="model-preset"]', 'data-weights'), shipped.served);
    await page.selectOption('[data-testid="eval-limit"]', String(RECORDS));
    assert.ok(await page.isChecked('[data-testid="eval-tta"]'), 'TTA is on by default');
    await page.click('[data-testid="eval-run"]');
    await page.waitForSelector('[data-testid="eval-progress"]');
    await page.waitForSelector('[data-testid="eval-accuracy-tta"]', { timeout: 300_000 });
    const accuracy = Number(await page.getAttribute('[data-testid="eval-accuracy"]', 'data-value'));
    const accuracyTta = Number(await page.getAttribute('[data-testid="eval-accuracy-tta"]', 'data-value'));
    console.log(`# page: ${accuracy} (TTA ${accuracyTta}); CLI: ${plain.accuracy} (TTA ${tta.accuracy}) on ${RECORDS} records`);
    assert.equal(accuracy, plain.accuracy);
    assert.equal(accuracyTta, tta.accuracy);
    assertSameFigures('plain', await pageReport(page), plain);
    await page.selectOption('[data-testid="eval-details"]', 'tta');
    await page.waitForFunction(() => document.querySelector('[data-testid="eval-details"]').value === 'tta');
    assertSameFigures('TTA', await pageReport(page), tta);

    // A click on the largest off-diagonal cell shows its records.
    await page.selectOption('[data-testid="eval-details"]', 'plain');
    let worst = [1, 0];
    plain.confusion.forEach((row, t) => row.forEach((n, p) => {
      if (t !== p && n > plain.confusion[worst[0]][worst[1]]) worst = [t, p];
    }));
    const count = plain.confusion[worst[0]][worst[1]];
    assert.ok(count > 0);
    await page.click(`[data-testid="confusion-cell"][data-truth="${worst[0]}"][data-predicted="${worst[1]}"]`);
    await page.waitForSelector(`[data-testid="cell-gallery"][data-count="${count}"]`);
    await page.waitForFunction((n) => document.querySelectorAll('[data-testid="cell-image"] img').length === n, Math.min(count, 40));
    // The most confident mistakes, with pictures, each truly a mistake.
    const mistakes = await page.$$eval('[data-testid="mistake"]', (els) => els.map((e) => ({
      truth: e.dataset.truth, predicted: e.dataset.predicted, image: !!e.querySelector('img'),
    })));
    assert.ok(mistakes.length >= 8, `${mistakes.length} mistakes shown`);
    for (const m of mistakes) assert.ok(m.image && m.truth !== m.predicted, JSON.stringify(m));
    assert.deepEqual(problems, []);
  } finally {
    await browser.close();
  }
});

test('explore, inside the CNN and about show the real data and model; pages work under a sub-path', async () => {
  const browser = await launch({ webgpu: false });
  try {
    const { page, problems } = await openPage(browser, site, '?backend=cpu');
    assert.equal(await waitReady(page, 180_000), 'cpu');
    assert.equal(await page.getAttribute('[data-testid="page"]', 'data-page'), 'classify');

    // Explore data: the test split is 1,000 records of each class.
    await page.click('[data-testid="nav-data"]');
    assert.equal(new URL(page.url()).pathname, '/pinhole/');
    assert.equal(new URL(page.url()).hash, '#/data');
    await page.waitForSelector('[data-testid="explore-summary"][data-records="10000"]', { timeout: 120_000 });
    const counts = await page.$$eval('[data-testid="class-count"]', (els) => els.map((e) => Number(e.dataset.count)));
    assert.deepEqual(counts, Array(10).fill(1000));
    const red = await page.$eval('[data-testid="channel-row"][data-channel="red"]', (e) => [Number(e.dataset.mean), Number(e.dataset.std)]);
    assert.ok(Math.abs(red[0] - 0.494) < 0.01 && Math.abs(red[1] - 0.247) < 0.01, `red channel ${red}`);
    assert.equal(await page.locator('[data-testid="sample"]').count(), 80);
    await page.click('[data-testid="sample"][data-label="7"] >> nth=0');
    await page.waitForSelector('[data-testid="augmented"][data-flip="false"]');
    await page.check('[data-testid="aug-flip"]');
    await page.waitForSelector('[data-testid="augmented"][data-flip="true"]');

    // Inside the CNN: the table is read off the loaded model and adds up to it.
    await page.click('[data-testid="nav-inside"]');
    await page.waitForSelector('[data-testid="arch-total"]', { timeout: 60_000 });
    const parameters = Number(await page.getAttribute('[data-testid="model-preset"]', 'data-parameters'));
    const total = Number(await page.getAttribute('[data-testid="arch-total"]', 'data-parameters'));
    const rows = await page.$$eval('[data-testid="arch-row"]', (els) => els.map((e) => Number(e.dataset.parameters)));
    assert.equal(total, parameters, 'the table counts every parameter of the model');
    assert.equal(rows.reduce((a, b) => a + b, 0), total);
    assert.ok(rows.length >= 20, `${rows.length} layers`);
    assert.ok(await page.locator('[data-testid="feature-maps"]').count() >= 15);
    assert.equal(await page.getAttribute('[data-testid="filters"]', 'data-count'), '24');
    const predicted = await page.getAttribute('[data-testid="inspect-prediction"]', 'data-class');
    assert.ok(CLASS_NAMES.includes(predicted));
    // Another record: the prediction is re-run.
    await page.fill('[data-testid="inspect-record"]', '3');
    await page.dispatchEvent('[data-testid="inspect-record"]', 'change');
    await page.waitForSelector('[data-testid="inspect-prediction"]:has-text("record 3")');

    // About: the shipped model's card.
    await page.click('[data-testid="nav-about"]');
    const card = shipped.card;
    assert.equal(Number(await page.getAttribute('[data-testid="model-card"]', 'data-accuracy')), card.test_accuracy);
    assert.match(await page.textContent('[data-testid="model-card"]'), new RegExp(card.date));
    assert.match(await page.textContent('[data-testid="privacy"]'), /never leave/);

    // A reload keeps the page; back and forward follow the history.
    await page.reload();
    await waitReady(page, 180_000);
    assert.equal(await page.getAttribute('[data-testid="page"]', 'data-page'), 'about');
    await page.goBack();
    await page.waitForSelector('[data-testid="page"][data-page="inside"]');
    await page.goForward();
    await page.waitForSelector('[data-testid="page"][data-page="about"]');
    assert.deepEqual(problems, []);
  } finally {
    await browser.close();
  }
});
