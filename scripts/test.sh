#!/usr/bin/env bash
# Runs every test: formatting and clippy (natively and for both wasm binaries), the native suite
# (model, data, vision, protocol, UI state on real CIFAR-10 records), then the release page in
# headless Chromium. Assumes scripts/setup.sh has run (make test does).
#
# The release wasm build (`trunk build`) runs in the background from the start: its engine's
# fat-LTO link and wasm-opt use one core for about ten minutes, while the native stages keep the
# other busy (README, "CI time").
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

stage "clippy, native, every target"
cargo clippy --locked --all-targets -- -D warnings
stage "native tests (cargo test)"
cargo test --locked
stage "clippy, wasm: the engine worker (compute) and the UI (ui)"
cargo clippy --locked --target wasm32-unknown-unknown --bin engine -- -D warnings
cargo clippy --locked --target wasm32-unknown-unknown --no-default-features --features ui \
  --bin pinhole-ui -- -D warnings

stage "waiting for the release build of the page"
if ! wait "$trunk_pid"; then
  tail -n 60 "$trunk_log"
  echo "trunk build failed (log above: $trunk_log)"
  exit 1
fi
trap - EXIT
tail -n 3 "$trunk_log"
stage "the CIFAR-10 shard set the page serves (as make serve writes it)"
cargo run --locked --bin pinhole -- shard --data "${CIFAR10_DATA:-../shared/data/cifar10}" --out dist/data/cifar10
stage "end-to-end tests in headless Chromium"
(cd tests/e2e && node --test --test-concurrency=1 *.test.mjs)
echo "== all tests passed in $(( $(date +%s) - start )) s"
