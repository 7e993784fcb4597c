// The Teach page end to end: three classes made from uploaded CIFAR-10 test records (and one
// corrupt file, refused by name), a head trained in the tab, new images of each class classified
// with it, Grad-CAM on a custom class, a reload that finds the project and the head intact and in
// use, the project exported and imported into a fresh browser, the network exported as
// .safetensors and read by the CLI with the same top class; webcam samples recorded from a fake
// camera; and the same teaching on WebGPU.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  serve, launch, openPage, waitReady, cifarTestRecord, png, tempFiles, upload, card, y4m,
  fakeCameraArgs, artifactsDir, repo,
} from './lib.mjs';
import { CLASSES, classFiles, teachState, classCard, openTeach, makeClasses, train } from './teaching.mjs';

/** Classifies files on the Classify page; returns how many got their class (from the name). */
async function classifyNew(page, files) {
  await page.click('[data-testid="nav-classify"]');
  const all = Object.values(files).flat();
  await upload(page, all, 240_000);
  let right = 0;
  for (const path of all) {
    const name = path.split('/').pop();
    const c = await card(page, name);
    assert.equal(c.state, 'done', `${name}: ${JSON.stringify(c)}`);
    right += c.top1.startsWith(name.split('-')[1]) ? 1 : 0;
  }
  return right;
}

let site;
before(async () => { site = await serve(); });
after(async () => { await site?.close(); });

test('cpu: three classes from files, trained, used, explained, kept across a reload, exported and imported', async () => {
  const browser = await launch({ webgpu: false });
  try {
    const { page, problems } = await openPage(browser, site, '?backend=cpu');
    await waitReady(page);
    await openTeach(page);
    const files = classFiles(0, 15, 'sample');
    const { 'broken.png': broken } = tempFiles({ 'broken.png': Buffer.from('\x89PNG\r\n\x1a\n not an image at all') });
    await makeClasses(page, files, { cat: [broken] });
    let state = await teachState(page);
    assert.deepEqual(state.classes.map((c) => c.name), CLASSES.map(([n]) => n));
    assert.equal(state.errors.length, 1);
    assert.match(state.errors[0], /broken\.png/);
    // A duplicate name is refused and the old name stays.
    const second = classCard(page, 1).locator('[data-testid="class-name"]');
    await second.fill('Airplane');
    await second.dispatchEvent('change');
    await page.waitForSelector('[data-testid="rename-error"]');
    assert.equal(await second.inputValue(), 'cat');

    const t0 = Date.now();
    state = await train(page);
    console.log(`teach (cpu, full backbone, 45 samples): held-out ${state.accuracy} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    assert.ok(Number(state.accuracy) >= 0.6, `held-out accuracy ${state.accuracy}`);
    assert.equal(await page.locator('[data-testid="teach-class-row"]').count(), 3);
    await page.screenshot({ path: join(artifactsDir(), 'teach-trained.png'), fullPage: true });

    await page.click('[data-testid="teach-use"]');
    await page.waitForSelector('[data-testid="model-preset"][data-own="true"]');
    assert.equal(await page.getAttribute('[data-testid="model-preset"]', 'data-classes'), 'airplane,cat,truck');
    const fresh = classFiles(40, 2, 'new');
    const right = await classifyNew(page, fresh);
    console.log(`teach (cpu): ${right} of 6 new images right`);
    assert.ok(right >= 5, `${right} of 6`);

    // Grad-CAM on a custom class, chosen by its name.
    const name = fresh.cat[0].split('/').pop();
    const result = page.locator(`[data-testid="result"][data-name="${name}"]`);
    await result.locator('[data-testid="explain-button"]').click();
    await result.locator('[data-testid="saliency-method"]').selectOption('gradcam');
    await result.locator('[data-testid="saliency-class"]').selectOption({ label: 'truck' });
    await page.waitForFunction((name) => {
      const el = document.querySelector(`[data-testid="result"][data-name="${name}"]`);
      return el?.querySelector('[data-testid="explain"]')?.dataset.state === 'done'
        && el.querySelector('[data-testid="saliency-caption"]')?.textContent.startsWith('Grad-CAM of “truck”');
    }, name, { timeout: 120_000 });
    const spread = Number(await result.locator('[data-testid="saliency-map"]').getAttribute('data-spread'));
    assert.ok(spread > 10, `the Grad-CAM map is flat (${spread})`);
    const top = (await card(page, name)).top1.split(' ')[0];

    // Reload: the project, the head and its use are all still there.
    await page.reload();
    await waitReady(page);
    await page.waitForSelector('[data-testid="model-preset"][data-own="true"]', { timeout: 60_000 });
    await openTeach(page);
    const after = await teachState(page);
    assert.deepEqual(after.classes, state.classes);
    assert.equal(after.accuracy, state.accuracy);
    assert.equal(after.inUse, 'true');

    // The project as a file, into a fresh browser (empty storage).
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid="teach-export-project"]')]);
    const projectPath = join(artifactsDir(), 'three-classes.pinhole');
    await download.saveAs(projectPath);
    const [netDownload] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid="teach-export-network"]')]);
    const netPath = join(artifactsDir(), 'three-classes.safetensors');
    await netDownload.saveAs(netPath);
    assert.deepEqual(problems, []);

    const other = await launch({ webgpu: false });
    try {
      const { page: page2, problems: problems2 } = await openPage(other, site, '?backend=cpu');
      await waitReady(page2);
      await openTeach(page2);
      assert.deepEqual((await teachState(page2)).classes.map((c) => c.samples), [0, 0]);
      // A truncated project is refused by name and changes nothing.
      const bytes = readFileSync(projectPath);
      const { 'cut.pinhole': cut } = tempFiles({ 'cut.pinhole': bytes.subarray(0, bytes.length >> 1) });
      await page2.setInputFiles('[data-testid="teach-import-project"]', cut);
      await page2.waitForSelector('[data-testid="teach-import-error"]');
      assert.match(await page2.textContent('[data-testid="teach-import-error"]'), /cut\.pinhole: the file is truncated/);
      await page2.setInputFiles('[data-testid="teach-import-project"]', projectPath);
      await page2.waitForFunction(() => document.querySelectorAll('[data-testid="teach-class"]').length === 3);
      const imported = await teachState(page2);
      assert.deepEqual(imported.classes, state.classes);
      assert.equal(imported.accuracy, state.accuracy);
      await page2.waitForSelector('[data-testid="model-preset"][data-own="true"]');
      assert.deepEqual(problems2, []);
    } finally {
      await other.close();
    }

    // The exported network in the CLI: the same top class as the page gave.
    const out = execFileSync('cargo', ['run', '-q', '--bin', 'pinhole', '--', 'classify', '--weights', netPath, fresh.cat[0]], { cwd: repo, encoding: 'utf8' });
    assert.ok(out.split(': ')[1].startsWith(top), `CLI: ${out}; page: ${top}`);

    // A network chosen elsewhere (here the Train page's import) ends the head's use for good:
    // a reload keeps the visitor's later choice instead of importing the head over it.
    await page.click('[data-testid="nav-train"]');
    await page.setInputFiles('[data-testid="import-weights"]', join(repo, 'weights/fast.bin'));
    await page.waitForSelector('[data-testid="model-preset"][data-weights="fast.bin"][data-own="false"]');
    await openTeach(page);
    assert.equal((await teachState(page)).inUse, 'false');
    await page.reload();
    await waitReady(page);
    await openTeach(page);
    // The stored project has been read; give a wrongly restored head time to be imported.
    await page.waitForTimeout(2_000);
    assert.equal(await page.getAttribute('[data-testid="model-preset"]', 'data-own'), 'false');
    assert.equal((await teachState(page)).inUse, 'false');
  } finally {
    await browser.close();
  }
});

test('cpu: holding Record adds webcam frames as samples of that class', async () => {
  const { rgb } = cifarTestRecord(11);
  const { 'camera.y4m': video } = tempFiles({ 'camera.y4m': y4m(rgb) });
  const browser = await launch({ webgpu: false, extraArgs: fakeCameraArgs({ video }) });
  try {
    const { page, problems } = await openPage(browser, site, '?backend=cpu#/teach');
    await waitReady(page);
    await page.waitForSelector('[data-testid="teach"][data-ready="true"]');
    // Record is disabled until the camera runs.
    assert.equal(await classCard(page, 0).locator('[data-testid="record"]').isDisabled(), true);
    await page.click('[data-testid="teach-camera-toggle"]');
    await page.waitForSelector('[data-testid="teach-camera"][data-running="true"]');
    await page.waitForFunction(() => document.querySelector('[data-testid="teach-video"]').readyState >= 2);
    const record = classCard(page, 0).locator('[data-testid="record"]');
    const box = await record.boundingBox();
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down();
    await page.waitForTimeout(1500);
    await page.mouse.up();
    const n = Number(await classCard(page, 0).getAttribute('data-samples'));
    console.log(`webcam: ${n} samples in 1.5 s`);
    assert.ok(n >= 3 && n <= 10, `${n} samples`);
    await page.waitForTimeout(500);
    assert.equal(Number(await classCard(page, 0).getAttribute('data-samples')), n, 'recording stopped on release');
    assert.equal(Number(await classCard(page, 1).getAttribute('data-samples')), 0);
    // The sample is the record's picture (mirrored, as the live view is): mean |Δ| small.
    const diff = await classCard(page, 0).locator('canvas.thumb').first().evaluate((c, rgb) => {
      const d = c.getContext('2d').getImageData(0, 0, 96, 96).data;
      let sum = 0;
      for (let y = 0; y < 32; y++) for (let x = 0; x < 32; x++) {
        const i = ((y * 3 + 1) * 96 + (95 - (x * 3 + 1))) * 4;
        for (let ch = 0; ch < 3; ch++) sum += Math.abs(d[i + ch] - rgb[(y * 32 + x) * 3 + ch]);
      }
      return sum / (32 * 32 * 3);
    }, [...rgb]);
    console.log(`webcam sample vs record: mean |Δ| ${diff.toFixed(1)}`);
    assert.ok(diff < 20, `${diff}`);
    await page.screenshot({ path: join(artifactsDir(), 'teach-webcam.png'), fullPage: true });
    // A reload keeps the recorded samples.
    await page.reload();
    await waitReady(page);
    await page.waitForSelector('[data-testid="teach"][data-ready="true"]');
    assert.equal(Number(await classCard(page, 0).getAttribute('data-samples')), n);
    assert.deepEqual(problems, []);
  } finally {
    await browser.close();
  }
});

test('webgpu: three classes taught on the GPU classify new images', async () => {
  const browser = await launch({ webgpu: true });
  try {
    const { page, problems } = await openPage(browser, site, '?backend=webgpu');
    assert.equal(await waitReady(page), 'webgpu');
    await openTeach(page);
    await makeClasses(page, classFiles(0, 10, 'gpu'));
    // The fast backbone and two views a sample: SwiftShader runs WebGPU on this CPU.
    await page.selectOption('[data-testid="teach-backbone"]', 'fast');
    await page.uncheck('[data-testid="teach-shifts"]');
    const t0 = Date.now();
    const state = await train(page, 900_000);
    console.log(`teach (webgpu, fast backbone, 30 samples): held-out ${state.accuracy} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    assert.ok(Number(state.accuracy) >= 0.5, `held-out accuracy ${state.accuracy}`);
    await page.click('[data-testid="teach-use"]');
    await page.waitForSelector('[data-testid="model-preset"][data-own="true"]');
    const right = await classifyNew(page, classFiles(40, 2, 'gpunew'));
    console.log(`teach (webgpu): ${right} of 6 new images right`);
    assert.ok(right >= 4, `${right} of 6`);
    assert.deepEqual(problems, []);
  } finally {
    await browser.close();
  }
});

test('cpu: a class renamed while another class\'s samples arrive keeps its new name', async () => {
  const browser = await launch({ webgpu: false });
  try {
    const { page, problems } = await openPage(browser, site, '?backend=cpu#/teach');
    await waitReady(page);
    await page.waitForSelector('[data-testid="teach"][data-ready="true"]');
    const files = classFiles(0, 40, 'busy');
    await classCard(page, 0).locator('[data-testid="class-files"]').setInputFiles(files.airplane);
    // Typed while the first class's samples stream in (each re-renders the page's classes).
    const input = classCard(page, 1).locator('[data-testid="class-name"]');
    await input.fill('cat');
    await page.waitForTimeout(300);
    await input.dispatchEvent('change');
    await page.waitForFunction(() => Number(document.querySelector('[data-testid="teach-class"]').dataset.samples) === 40,
      null, { timeout: 120_000 });
    assert.equal(await classCard(page, 1).getAttribute('data-name'), 'cat');
    assert.equal(await input.inputValue(), 'cat');
    assert.deepEqual(problems, []);
  } finally {
    await browser.close();
  }
});
