// The Teach page's steps shared by the Teach and CPU-pool tests: CIFAR-10 test records of three
// classes as PNG files, classes named and filled on the page, a head trained.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cifarTestRecord, png, tempFiles, cifarDir } from './lib.mjs';

export const CLASSES = [['airplane', 0], ['cat', 3], ['truck', 9]];

/** Indices of test records of `label`, skipping `skip`, `n` of them. */
export function recordsOf(label, skip, n) {
  const bytes = readFileSync(join(cifarDir, 'test_batch.bin'));
  const out = [];
  for (let i = 0; out.length < n && i < 10_000; i++) {
    if (bytes[i * 3073] === label) { if (skip > 0) skip--; else out.push(i); }
  }
  return out;
}

/** PNG files of `n` records of each class: { className: [paths] }. */
export function classFiles(skip, n, prefix) {
  return Object.fromEntries(CLASSES.map(([name, label]) => {
    const files = Object.fromEntries(recordsOf(label, skip, n).map((i) => [`${prefix}-${name}-${i}.png`, png(cifarTestRecord(i).rgb)]));
    return [name, Object.values(tempFiles(files))];
  }));
}

export const teachState = (page) => page.evaluate(() => ({
  ready: document.querySelector('[data-testid="teach"]')?.dataset.ready,
  classes: [...document.querySelectorAll('[data-testid="teach-class"]')].map((c) => ({ name: c.dataset.name, samples: Number(c.dataset.samples) })),
  accuracy: document.querySelector('[data-testid="teach-result"]')?.dataset.accuracy ?? null,
  inUse: document.querySelector('[data-testid="teach-result"]')?.dataset.inUse ?? null,
  errors: [...document.querySelectorAll('[data-testid="sample-error"]')].map((e) => e.textContent),
}));

export const classCard = (page, i) => page.locator('[data-testid="teach-class"]').nth(i);

export async function openTeach(page) {
  await page.click('[data-testid="nav-teach"]');
  await page.waitForSelector('[data-testid="teach"][data-ready="true"]');
}

/** Names three classes and adds `files[name]` to each; waits until every sample is in. */
export async function makeClasses(page, files, extra = {}) {
  await page.click('[data-testid="add-class"]');
  for (const [i, [name]] of CLASSES.entries()) {
    const input = classCard(page, i).locator('[data-testid="class-name"]');
    await input.fill(name);
    await input.dispatchEvent('change');
  }
  // All of a class's files at once, every class without waiting for the previous.
  for (const [i, [name]] of CLASSES.entries()) {
    await classCard(page, i).locator('[data-testid="class-files"]').setInputFiles([...files[name], ...(extra[name] ?? [])]);
  }
  await page.waitForFunction((want) => {
    const cards = [...document.querySelectorAll('[data-testid="teach-class"]')];
    return cards.length === want.length && cards.every((c, i) => Number(c.dataset.samples) === want[i]);
  }, CLASSES.map(([name]) => files[name].length), { timeout: 120_000 });
}

export async function train(page, timeout = 300_000) {
  await page.click('[data-testid="teach-train"]');
  await page.waitForSelector('[data-testid="teach"][data-teaching="true"]', { timeout: 10_000 }).catch(() => {});
  await page.waitForSelector('[data-testid="teach"][data-teaching="false"] [data-testid="teach-result"]', { timeout });
  const error = await page.locator('[data-testid="teach-error"]').count();
  assert.equal(error, 0, error ? await page.textContent('[data-testid="teach-error"]') : '');
  return teachState(page);
}
