#!/usr/bin/env bash
# Set up .venv with the test extras and run the whole test suite (CPU only, no network).
set -euo pipefail
cd "$(dirname "$0")/.."
# The sandbox's strongest level uses bubblewrap (a Debian package): install it where we may; the
# sandbox tests skip the levels a machine cannot offer, with the reason.
if ! command -v bwrap >/dev/null && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    { apt-get update -qq && apt-get install -y -qq bubblewrap; } >/dev/null 2>&1 \
        || echo "note: could not install bubblewrap; its sandbox level will be skipped" >&2
fi
# The viewer's browser test drives Debian's Chromium through its chromedriver; it skips, saying
# why, where they are missing.
if ! command -v chromedriver >/dev/null && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    { apt-get update -qq && apt-get install -y -qq chromium chromium-driver; } >/dev/null 2>&1 \
        || echo "note: could not install chromium; the viewer's browser test will be skipped" >&2
fi
bash scripts/setup_venv.sh test
.venv/bin/python -m ruff check gem_gymnasium tests bench examples
# One worker per CPU: the suite is dominated by independent env checks.
.venv/bin/python -m pytest -n auto "$@"
