#!/usr/bin/env bash
# Create (or reuse) .venv and install the package with the given extras.
# Usage: bash scripts/setup_venv.sh EXTRAS   (e.g. "test" or "train")
set -euo pipefail
cd "$(dirname "$0")/.."
extras="${1:?usage: setup_venv.sh EXTRAS}"
python3 -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
# Pin torch first: the CPU jobs here need no newer release, and a pinned version keeps every
# machine on the tested one (pip then treats torch as satisfied for the extras below).
.venv/bin/python -m pip install --quiet "torch==2.13.0"
.venv/bin/python -m pip install --quiet -e ".[${extras}]"
