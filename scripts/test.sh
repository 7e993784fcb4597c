#!/usr/bin/env bash
# Runs every test: formatting, clippy (every crate natively, the two wasm crates for wasm32, the
# optional Burn features), rustdoc, the native suite (model, data, vision, protocol, UI state on
# real CIFAR-10 records), then the release page in headless Chromium. Assumes scripts/setup.sh
# has run (make test does). What each stage proves: docs/testing.md.
#
# The release wasm build (`trunk build`) runs in the background from the start: the engine's
# link and wasm-opt use one core for several minutes while the native stages keep the other
# busy (docs/testing.md, "CI stages and times").
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PWD/tools/bin:$PATH"
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-/tmp}
# One target directory for `make test`, `make serve` and .ci/run, so that local runs warm CI's.
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/pinhole-target}
mkdir -p "$CARGO_TARGET_DIR"

start=$(date +%s)
# Each stage with the seconds since the start, so a CI log shows where the time goes.
stage() { echo "== [$(( $(date +%s) - start )) s] $*"; }

stage "formatting (cargo fmt --check)"
cargo fmt --all -- --check

stage "release build of the page (trunk build) started in the background"
trunk_log="$CARGO_TARGET_DIR/trunk-build.log"
trunk build >"$trunk_log" 2>&1 &
trunk_pid=$!
trap 'kill "$trunk_pid" 2>/dev/null || true' EXIT

stage "clippy, native: every crate and target (the fuzz targets too)"
cargo clippy --locked --workspace --all-targets -- -D warnings
stage "the UI never links Burn (cargo tree)"
if cargo tree --locked -p pinhole-ui --target all -e normal,build | grep -q ' burn'; then
  cargo tree --locked -p pinhole-ui --target all -e normal,build -i burn
  echo "pinhole-ui depends on Burn: the UI must depend on pinhole-core only"
  exit 1
fi
stage "native tests (cargo test)"
cargo test --locked
stage "clippy, wasm32: the engine worker and the UI"
cargo clippy --locked --target wasm32-unknown-unknown -p pinhole-engine -- -D warnings
cargo clippy --locked --target wasm32-unknown-unknown -p pinhole-ui -- -D warnings
stage "optional features: the CLI with Burn's fusion and autotune"
# No Pinhole code depends on either (no cfg names them): one check with both covers each alone.
cargo clippy --locked -p pinhole-cli --features fusion,autotune -- -D warnings
stage "rustdoc without warnings"
RUSTDOCFLAGS="-D warnings" cargo doc --locked --no-deps --workspace --exclude pinhole-fuzz

stage "waiting for the release build of the page"
if ! wait "$trunk_pid"; then
  tail -n 60 "$trunk_log"
  echo "trunk build failed (log above: $trunk_log)"
  exit 1
fi
trap - EXIT
tail -n 3 "$trunk_log"
stage "the CIFAR-10 shard set the page serves (as make serve writes it)"
cargo run --locked -p pinhole-cli --bin pinhole -- shard --data "${CIFAR10_DATA:-../shared/data/cifar10}" --out dist/data/cifar10
stage "speed and size guards: wasm gzip budgets, the engine's SIMD, packed kernels against Burn"
# Ratios and counts measured in this run (scripts/guards.py; budgets in scripts/budgets.json).
# One core for Burn's flex as for the packed kernels: the page's worker has one.
RAYON_NUM_THREADS=1 cargo run --locked -q -p pinhole-cli --bin pinhole -- \
  bench-infer --data "${CIFAR10_DATA:-../shared/data/cifar10}" --presets fast,full --runs 10 \
  >"$CARGO_TARGET_DIR/bench-infer.json"
python3 scripts/guards.py "$CARGO_TARGET_DIR/bench-infer.json" "$CARGO_TARGET_DIR/guards.json"
stage "end-to-end tests in headless Chromium"
(cd tests/e2e && node --test --test-concurrency=1 *.test.mjs)
echo "== all tests passed in $(( $(date +%s) - start )) s"
