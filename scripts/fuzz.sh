#!/usr/bin/env bash
# Coverage-guided fuzzing of every reader of untrusted bytes (fuzz/fuzz_targets/*.rs) with
# cargo-fuzz and libFuzzer on the stable toolchain (no sanitizer: `-s none`; overflow checks and
# debug assertions stay on). Each target starts from the hostile corpus and the project's real
# files, runs for SECONDS (default 600) and prints libFuzzer's figures; crashes land in
# fuzz/artifacts/TARGET/ and the script exits 1 naming the targets. Not part of CI, which only checks that the targets compile
# (docs/testing.md, "Fuzzing").
#   scripts/fuzz.sh [SECONDS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
seconds=${1:-600}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(image weights manifest records checkpoint project)
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked --version 0.13.2
seeds=$(mktemp -d)
python3 tests/hostile/make_corpus.py "$seeds/hostile" >/dev/null
declare -A from=(
  [image]="images" [weights]="weights" [manifest]="manifests" [records]="shards tarballs" [checkpoint]="checkpoints"
  [project]="projects"
)
# The fuzz crate is a member of the main workspace (one Cargo.lock), whose release profile is the
# page's (fat LTO, one codegen unit, panic=abort): fuzz builds keep cargo's plain release
# profile with line tables instead, as they had in their own workspace.
export CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
  CARGO_PROFILE_RELEASE_DEBUG=1 CARGO_PROFILE_RELEASE_PANIC=unwind
cargo fuzz build -s none -O 2>&1 | tail -1
crashed=()
for target in "${targets[@]}"; do
  corpus="fuzz/corpus/$target"
  mkdir -p "$corpus"
  for kind in ${from[$target]}; do cp -n "$seeds/hostile/$kind"/* "$corpus/" 2>/dev/null || true; done
  [ "$target" = weights ] && cp -n weights/*.bin "$corpus/"
  echo "== $target: ${seconds}s"
  # -malloc_limit_mb: one allocation over 2 GB (a bomb past its bound) is a crash. The RSS limit
  # is looser: Burn keeps about 110 KB per network built (measured over 200 resumes), which
  # adds up over a million runs but not in a visit.
  # A crash makes `cargo fuzz run` exit non-zero: the script does too, after every target ran.
  if ! cargo fuzz run -s none -O "$target" "$corpus" -- \
    -max_total_time="$seconds" -malloc_limit_mb=2048 -rss_limit_mb=8192 -max_len=4194304 -timeout=30 -print_final_stats=1 2>&1 \
    | { grep -E "^(stat::|#[0-9]+ *DONE|==[0-9]+== ERROR|SUMMARY|artifact_prefix|Test unit written)" || true; }; then
    crashed+=("$target")
  fi
done
if [ ${#crashed[@]} -gt 0 ]; then
  echo "fuzzing found crashes in: ${crashed[*]} (inputs under fuzz/artifacts/)"
  exit 1
fi
