#!/usr/bin/env bash
# Issue 22 item 7: native `pinhole bench-train --backend wgpu` on a real GPU with and without
# Burn's fusion + autotune, for `fast` and `full` at batch 128 and 512.
#   scripts/gpu-bench.sh prepare   here: builds both CLIs, packs them, a 3,072-record shard and
#                                  the Vulkan loader into .devrun/ and .gl/ (both git-ignored)
#   scripts/gpu-bench.sh run       on the GPU machine (the device tool, carry [".devrun", ".gl"]):
#                                  writes JSON and a log under $OUT
# Also runs where no GPU is (wgpu then finds Mesa's lavapipe), which is how it was checked.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/pinhole-target}
case "${1:-}" in
prepare)
  mkdir -p .devrun .gl
  for dir in .devrun .gl; do grep -qx "/$dir/" .git/info/exclude 2>/dev/null || echo "/$dir/" >> .git/info/exclude; done
  head -c $((3073 * 3072)) "${CIFAR10_DATA:-../shared/data/cifar10}/data_batch_1.bin" > .devrun/train-3072.bin
  for variant in plain fusion; do
    # Fusion in a target folder of its own: other features in the shared one rebuild Burn there
    # (cargo replaced the plain build's artifacts, and the next test run rebuilt them).
    target=$CARGO_TARGET_DIR features=()
    [ "$variant" = fusion ] && target=$CARGO_TARGET_DIR-fusion features=(--features fusion,autotune)
    CARGO_TARGET_DIR=$target cargo build -p pinhole-cli --bin pinhole "${features[@]}"
    strip -o ".devrun/pinhole-$variant" "$target/debug/pinhole"
    # Packed: the device tool carries 64 MiB at most.
    xz -6 -f ".devrun/pinhole-$variant"
  done
  o='-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/amd64'
  mkdir -p /tmp/amd64/partial
  apt-get $o update -qq
  (cd .gl && apt-get $o download libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2)
  du -sh .devrun .gl
  ;;
run)
  OUT=${OUT:-.devrun/out}; mkdir -p "$OUT"
  if [ -d .gl ] && ! ldconfig -p | grep -q libvulkan; then
    for f in .gl/*.deb; do dpkg -x "$f" /; done; ldconfig
  fi
  { nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv || echo "no nvidia-smi"; } | tee "$OUT/gpu.txt"
  [ -e /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
  for variant in plain fusion; do xz -dkf ".devrun/pinhole-$variant.xz"; done
  {
    for variant in plain fusion; do
      for batch in ${BATCHES:-128 512}; do
        echo "== $variant, batch $batch"
        timeout "${STEP_LIMIT:-120}" ".devrun/pinhole-$variant" bench-train --data .devrun/train-3072.bin \
          --backends wgpu --presets "${PRESETS:-fast,full}" --batch-size "$batch" --steps "${STEPS:-5}" \
          > "$OUT/$variant-$batch.json" 2> /tmp/gpu-bench.err || echo "exit $?"
        tail -n 6 /tmp/gpu-bench.err
      done
    done
  } 2>&1 | tee "$OUT/log.txt"
  ;;
*) echo "usage: $0 prepare|run" >&2; exit 2 ;;
esac
