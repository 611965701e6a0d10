"""The custom-env example follows the documented recipe and passes `gem-gym check`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_custom_env_example_passes_every_check() -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "gem_gymnasium.cli",
            "check",
            "--import",
            "examples.custom_env",
            "mylab/ReverseWord-v0",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "10 passed, 0 failed" in result.stdout


def test_custom_env_example_runs_as_a_script() -> None:
    result = subprocess.run(
        [sys.executable, "examples/custom_env.py"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert "Correct!" in result.stdout


def test_sb3_example_runs() -> None:
    result = subprocess.run(
        [sys.executable, "examples/sb3_ppo.py", "--steps", "256"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "GuessTheNumber" in result.stdout
