#!/usr/bin/env bash
# Set up .venv with the training extras and run the main job on embedded defaults: PPO with
# return batch normalisation on GuessTheNumber-Easy, with a small model built locally (no download).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup_venv.sh train
.venv/bin/gem-gym train "$@"
