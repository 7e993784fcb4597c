#!/usr/bin/env bash
# Runs every test: the native suite (model, data, vision, protocol on real CIFAR-10 records),
# then the release page in headless Chromium. Assumes scripts/setup.sh has run (make test does).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PWD/tools/bin:$PATH"
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-/tmp}

start=$(date +%s)
echo "== native tests (cargo test)"
cargo test --locked
echo "== release build of the page (trunk build)"
trunk build
echo "== end-to-end tests in headless Chromium"
(cd tests/e2e && node --test --test-concurrency=1 *.test.mjs)
echo "== all tests passed in $(( $(date +%s) - start )) s"
