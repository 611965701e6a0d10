#!/usr/bin/env bash
# Create (or reuse) .venv and install the package with the given extras.
# Usage: bash scripts/setup_venv.sh EXTRAS   (e.g. "test" or "train")
# Environment: TORCH_CPU=1 installs PyTorch's CPU-only build from PyTorch's own wheel index
# (a much smaller download than the default CUDA build); needs network access to that index.
set -euo pipefail
cd "$(dirname "$0")/.."
extras="${1:?usage: setup_venv.sh EXTRAS}"
torch_index=()
case "${TORCH_CPU:-0}" in
  1) torch_index=(--extra-index-url https://download.pytorch.org/whl/cpu) ;;
  0) ;;
  *) echo "setup_venv.sh: TORCH_CPU must be 1 or 0, got '${TORCH_CPU}'" >&2; exit 2 ;;
esac
python3 -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
# Pin torch first: the CPU jobs here need no newer release, and a pinned version keeps every
# machine on the tested one (pip then treats torch as satisfied for the extras below). With
# TORCH_CPU=1 the extra index offers 2.13.0+cpu, which pip prefers to the plain 2.13.0.
.venv/bin/python -m pip install --quiet ${torch_index[@]+"${torch_index[@]}"} "torch==2.13.0"
.venv/bin/python -m pip install --quiet -e ".[${extras}]"
