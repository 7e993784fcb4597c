#!/usr/bin/env bash
# Installs everything the build and the tests need on a fresh machine of this project's kind,
# skipping what is already present. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

TRUNK_VERSION=0.21.14
# wasm-bindgen-cli must equal the wasm-bindgen in Cargo.lock exactly.
WASM_BINDGEN_VERSION=$(awk '/^name = "wasm-bindgen"$/{getline; gsub(/[^0-9.]/,""); print; exit}' Cargo.lock 2>/dev/null || true)
WASM_BINDGEN_VERSION=${WASM_BINDGEN_VERSION:-0.2.130}
export PATH="$HOME/.cargo/bin:$PWD/tools/bin:$PATH"

started=$(date +%s)
log() { printf '\033[1m[setup %ss]\033[0m %s\n' "$(( $(date +%s) - started ))" "$*"; }

need_apt=()
command -v chromium >/dev/null || need_apt+=(chromium)
command -v chromedriver >/dev/null || need_apt+=(chromium-driver)
# Firefox for tests/e2e/firefox.test.mjs (puppeteer-core drives it over WebDriver BiDi).
command -v firefox-esr >/dev/null || need_apt+=(firefox-esr)
[ -e /usr/share/vulkan/icd.d/lvp_icd.x86_64.json ] || ls /usr/share/vulkan/icd.d/lvp_icd*.json >/dev/null 2>&1 || need_apt+=(mesa-vulkan-drivers)
if [ ${#need_apt[@]} -gt 0 ]; then
  log "apt-get install ${need_apt[*]}"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

if ! rustup target list --installed | grep -q wasm32-unknown-unknown; then
  log "rustup target add wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi

if [ ! -d tests/e2e/node_modules/playwright-core ] || [ ! -d tests/e2e/node_modules/binaryen ] || [ ! -d tests/e2e/node_modules/axe-core ] || [ ! -d tests/e2e/node_modules/puppeteer-core ]; then
  log "npm ci (playwright-core, puppeteer-core, binaryen, axe-core)"
  (cd tests/e2e && npm ci --no-audit --no-fund --loglevel=error)
fi

# wasm-opt: Debian's binaryen is too old for wasm-bindgen 0.2.130's output; binaryen 132's JS build works.
mkdir -p tools/bin
cat > tools/bin/wasm-opt <<WRAP
#!/usr/bin/env bash
exec node --max-old-space-size=8192 --stack-size=8000 "$PWD/tests/e2e/node_modules/binaryen/bin/wasm-opt" "\$@"
WRAP
chmod +x tools/bin/wasm-opt

# Trunk only orchestrates (Cargo, wasm-bindgen and wasm-opt do the heavy work), so it is built
# without its fat-LTO, one-codegen-unit release profile, which took 12 min to compile here.
QUICK_INSTALL="env CARGO_PROFILE_RELEASE_LTO=off CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 CARGO_PROFILE_RELEASE_OPT_LEVEL=1"

if ! wasm-bindgen --version 2>/dev/null | grep -q "$WASM_BINDGEN_VERSION"; then
  log "cargo install wasm-bindgen-cli $WASM_BINDGEN_VERSION"
  # --locked fails for this version (a pinned dependency is not in the registry).
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --force
fi

if ! trunk --version 2>/dev/null | grep -q "$TRUNK_VERSION"; then
  log "cargo install trunk $TRUNK_VERSION"
  # trunk 0.22 needs a newer Rust than this machine's 1.95.
  $QUICK_INSTALL cargo install trunk --version "$TRUNK_VERSION" --locked
fi
# Every crate for every target (the wasm-only ones too): Trunk builds with --offline.
log "cargo fetch"
cargo fetch --locked --quiet
log "ready"
