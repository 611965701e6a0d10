"""``scripts/setup_venv.sh``: the default install stays as it is; ``TORCH_CPU=1`` adds PyTorch's CPU index.

The script runs against a stand-in ``python3`` that records each pip command instead of
installing anything, so the test needs no network.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CPU_INDEX = "--extra-index-url https://download.pytorch.org/whl/cpu"

# `python3 -m venv .venv` makes a .venv/bin/python that logs its arguments, one call per line.
FAKE_PYTHON3 = """#!/usr/bin/env bash
set -eu
mkdir -p .venv/bin
printf '#!/usr/bin/env bash\\necho "$*" >> "%s"\\n' "$PIP_LOG" > .venv/bin/python
chmod +x .venv/bin/python
"""


def _run_setup(tmp_path: Path, **env: str) -> tuple[subprocess.CompletedProcess, list[str]]:
    (tmp_path / "scripts").mkdir()
    shutil.copy(ROOT / "scripts" / "setup_venv.sh", tmp_path / "scripts")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "python3").write_text(FAKE_PYTHON3)
    (bin_dir / "python3").chmod(0o755)
    log = tmp_path / "pip.log"
    result = subprocess.run(
        ["bash", str(tmp_path / "scripts" / "setup_venv.sh"), "test"],
        env={
            **{k: v for k, v in os.environ.items() if k != "TORCH_CPU"},
            "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
            "PIP_LOG": str(log),
            **env,
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    return result, log.read_text().splitlines() if log.exists() else []


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_default_install_uses_only_the_configured_index(tmp_path: Path) -> None:
    result, calls = _run_setup(tmp_path)
    assert result.returncode == 0, result.stderr
    assert calls == [
        "-m pip install --quiet --upgrade pip",
        "-m pip install --quiet torch==2.13.0",
        "-m pip install --quiet -e .[test]",
    ]


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_torch_cpu_adds_pytorchs_cpu_index_for_torch_only(tmp_path: Path) -> None:
    result, calls = _run_setup(tmp_path, TORCH_CPU="1")
    assert result.returncode == 0, result.stderr
    assert calls[1] == f"-m pip install --quiet {CPU_INDEX} torch==2.13.0"
    assert CPU_INDEX not in calls[2]  # the package and its extras come from the usual index


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_a_bad_torch_cpu_value_is_one_clear_line(tmp_path: Path) -> None:
    result, calls = _run_setup(tmp_path, TORCH_CPU="yes")
    assert result.returncode == 2 and calls == []
    assert result.stderr.strip() == "setup_venv.sh: TORCH_CPU must be 1 or 0, got 'yes'"
