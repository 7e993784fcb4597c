#!/usr/bin/env python3
"""Speed and size guards, as ratios and counts measured in one run (absolute times on shared
machines vary by 10% or more). CI runs this after the release build (scripts/test.sh):

    python3 scripts/guards.py BENCH_INFER_JSON OUT_JSON

- the gzip size of the engine's and the UI's release wasm against scripts/budgets.json (fails
  when either is more than `tolerance` over its budget: raise the budget in the same commit, and
  say why in docs/benchmarks.md);
- the SIMD in the engine's wasm: its `f32x4` instructions (binaryen's wasm-dis) against a floor,
  so a build that loses the packed kernels' vectorisation (as fat LTO at opt-level z did) fails;
- the packed CPU kernels against Burn's own CPU forward pass on the same network and the same
  real images in the same process (`pinhole bench-infer`, one core each): their throughput
  ratio at batch 64 against a floor per preset.

Prints every figure and writes them all, with the verdicts, to OUT_JSON (and the log).
"""

import gzip
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUDGETS = ROOT / "scripts" / "budgets.json"
WASM_DIS = ROOT / "tests" / "e2e" / "node_modules" / "binaryen" / "bin" / "wasm-dis"


def one(pattern):
    found = sorted((ROOT / "dist").glob(pattern))
    if len(found) != 1:
        sys.exit(f"guards: expected one dist/{pattern}, found {len(found)} (run trunk build first)")
    return found[0]


def gzip_bytes(path):
    # Level 9 and no timestamp: the same bytes give the same size on every run.
    return len(gzip.compress(path.read_bytes(), compresslevel=9, mtime=0))


def f32x4_count(path):
    """`f32x4.` instructions in the wasm's text form, counted as wasm-dis streams it."""
    dis = subprocess.Popen(
        ["node", "--max-old-space-size=8192", "--stack-size=8000", str(WASM_DIS), str(path)],
        stdout=subprocess.PIPE,
    )
    count = 0
    for line in dis.stdout:
        count += line.count(b"f32x4.")
    if dis.wait() != 0:
        sys.exit(f"guards: wasm-dis failed on {path}")
    return count


def throughput_ratios(bench):
    """Packed over folded (Burn) images per second at the batch, per preset."""
    rows = json.loads(Path(bench).read_text())["inference"]
    speed = {(r["preset"], r["form"]): r["images_per_second"] for r in rows}
    return {
        preset: speed[(preset, "packed")] / speed[(preset, "folded")]
        for preset, form in speed
        if form == "packed"
    }


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    bench, out = sys.argv[1], Path(sys.argv[2])
    budgets = json.loads(BUDGETS.read_text())
    tolerance = budgets["tolerance"]
    checks = []

    def check(name, value, limit, ok, unit):
        checks.append({"check": name, "value": value, "limit": limit, "ok": ok, "unit": unit})
        print(f"{'ok  ' if ok else 'FAIL'} {name}: {value:,.2f} {unit} (limit {limit:,.2f})")

    for name, pattern in [("engine", "engine_bg-*.wasm"), ("ui", "pinhole-ui_bg-*.wasm")]:
        size = gzip_bytes(one(pattern))
        budget = budgets[f"{name}_wasm_gzip_bytes"]
        check(f"{name} wasm, gzip", size, budget * (1 + tolerance), size <= budget * (1 + tolerance), "bytes")
    simd = f32x4_count(one("engine_bg-*.wasm"))
    floor = budgets["engine_f32x4_min"]
    check("engine wasm, f32x4 instructions", simd, floor, simd >= floor, "instructions")
    for preset, ratio in sorted(throughput_ratios(bench).items()):
        floor = budgets["packed_over_burn_min"][preset]
        check(f"{preset}: packed / Burn CPU throughput, batch 64", ratio, floor, ratio >= floor, "×")

    report = {"budgets": budgets, "checks": checks, "bench_infer": json.loads(Path(bench).read_text())}
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report))
    failed = [c["check"] for c in checks if not c["ok"]]
    if failed:
        sys.exit(f"guards failed: {', '.join(failed)} (figures in {out}; budgets in {BUDGETS})")


if __name__ == "__main__":
    main()
