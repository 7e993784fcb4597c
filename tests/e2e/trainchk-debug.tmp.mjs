import { serve, launch, openPage, waitReady } from './lib.mjs';
const site = await serve();
const browser = await launch({ webgpu: true });
const { page, problems } = await openPage(browser, site, '?backend=webgpu#/benchmark');
page.on('console', (m) => { if (m.type() !== 'log' && m.type() !== 'debug') console.log('console', m.type(), m.text().slice(0, 300)); });
console.log('backend', await waitReady(page, 180_000));
await page.click('summary');
await page.click('[data-testid="check-training"]');
for (let i = 0; i < 40; i++) {
  await page.waitForTimeout(6000);
  const s = await page.evaluate(() => ({
    json: !!document.querySelector('[data-testid="train-check-json"]'),
    kind: document.querySelector('[data-testid="backend-kind"]')?.dataset.kind,
    notice: document.querySelector('[data-testid="backend-notice"]')?.textContent,
    err: document.querySelector('[data-testid="benchmark-error"]')?.textContent,
    busy: document.querySelector('[data-testid="busy"]')?.textContent,
  }));
  console.log(i, JSON.stringify(s));
  if (s.json || s.err || s.kind === 'cpu') break;
}
console.log(problems);
await browser.close(); await site.close();
