#!/usr/bin/env bash
# Runs every test: the native suite (model, data, vision, protocol on real CIFAR-10 records),
# then the release page in headless Chromium. Assumes scripts/setup.sh has run (make test does).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PWD/tools/bin:$PATH"
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-/tmp}

start=$(date +%s)
# Each stage with the seconds since the start, so a CI log shows where the time goes.
stage() { echo "== [$(( $(date +%s) - start )) s] $*"; }
stage "native tests (cargo test)"
cargo test --locked
stage "release build of the page (trunk build)"
trunk build
stage "the CIFAR-10 shard set the page serves (as make serve writes it)"
cargo run --locked --bin pinhole -- shard --data "${CIFAR10_DATA:-../shared/data/cifar10}" --out dist/data/cifar10
stage "end-to-end tests in headless Chromium"
(cd tests/e2e && node --test --test-concurrency=1 *.test.mjs)
echo "== all tests passed in $(( $(date +%s) - start )) s"
