#!/usr/bin/env bash
# Runs the `pinhole` CLI built with the LibTorch backend (`--features libtorch`), e.g.
#   scripts/libtorch.sh train --preset full --epochs 10 --backend libtorch
# On first use it installs PyTorch 2.9.0 (the version Burn 0.22's tch binding is built for) from
# PyPI into tools/libtorch-venv (about 7 GB: PyPI's Linux wheel brings its CUDA libraries along)
# and links against it, so nothing is downloaded from outside the package registries.
set -euo pipefail
cd "$(dirname "$0")/.."

TORCH_VERSION=2.9.0
VENV="$PWD/tools/libtorch-venv"

if ! "$VENV/bin/python" -c "import torch, sys; sys.exit(torch.__version__.split('+')[0] != '$TORCH_VERSION')" 2>/dev/null; then
  echo "[libtorch] installing torch==$TORCH_VERSION into $VENV" >&2
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet "torch==$TORCH_VERSION"
fi

TORCH_LIB=$("$VENV/bin/python" -c "import os, torch; print(os.path.join(os.path.dirname(torch.__file__), 'lib'))" 2>/dev/null)
# torch-sys finds the headers and libraries through the venv's python.
export VIRTUAL_ENV="$VENV" PATH="$VENV/bin:$HOME/.cargo/bin:$PATH" LIBTORCH_USE_PYTORCH=1
export LD_LIBRARY_PATH="$TORCH_LIB${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/tmp}"
exec cargo run --quiet -p pinhole-cli --features libtorch --bin pinhole -- "$@"
