// Every benchmark of the built page in headless Chromium, as one JSON object: wasm sizes (raw,
// gzip, brotli), time to the first prediction, inference latency and throughput, training
// images/s, webcam frames per second with and without saliency, and the Teach timings, per
// backend and preset. Runs bench.mjs, train-bench.mjs, webcam-bench.mjs and teach-bench.mjs one
// after another (each its own browser) and merges what they write.
// Usage: node tests/e2e/bench-all.mjs [--out FILE] [--backends cpu,webgpu] (make bench-all)
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const out = arg('--out', join(here, 'artifacts', 'bench-all.json'));
const backends = arg('--backends', 'cpu,webgpu');
const scratch = mkdtempSync(join(tmpdir(), 'pinhole-bench-'));

/** Runs one benchmark script (its progress on stderr passes through) and reads its JSON. */
function run(script, extra = [], which = backends) {
  const file = join(scratch, script.replace('.mjs', '.json'));
  const started = Date.now();
  console.error(`== ${script}`);
  execFileSync(process.execPath, [join(here, script), '--out', file, '--backends', which, ...extra],
    { stdio: ['ignore', 'ignore', 'inherit'], cwd: join(here, '..', '..') });
  console.error(`== ${script}: ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return JSON.parse(readFileSync(file, 'utf8'));
}

// The page's first minute under the automatic choice too (its load and timings).
const inference = run('bench.mjs', [], `${backends},auto`);
const training = run('train-bench.mjs');
const webcam = run('webcam-bench.mjs');
const teach = run('teach-bench.mjs');
const report = {
  date: new Date().toISOString().slice(0, 10),
  machine: { cpus: cpus().length, cpu: cpus()[0]?.model ?? 'unknown', browser: 'headless Chromium (Debian), SwiftShader for WebGPU' },
  sizes: {
    wasm: inference.wasm,
    wasm_gzip_total_bytes: inference.wasm_gzip_total_bytes,
    wasm_brotli_total_bytes: inference.wasm_brotli_total_bytes,
  },
  first_prediction: inference.load,
  auto_choice: inference.auto_choice ?? null,
  inference: inference.inference,
  training,
  webcam,
  teach,
};
const json = JSON.stringify(report, null, 2);
console.log(json);
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, json + '\n');
