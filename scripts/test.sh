#!/usr/bin/env bash
# Set up .venv with the test extras and run the whole test suite (CPU only, no network).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup_venv.sh test
.venv/bin/python -m ruff check gem_gymnasium tests bench examples
# One worker per CPU: the suite is dominated by independent env checks.
.venv/bin/python -m pytest -n auto "$@"
