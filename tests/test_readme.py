"""The README stays true: its commands exist and its table names every game."""

from __future__ import annotations

from pathlib import Path

from gem_gymnasium.registration import GAMES

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def test_quick_start_scripts_exist_and_ci_runs_the_test_command() -> None:
    for script in ("scripts/train.sh", "scripts/test.sh"):
        assert f"bash {script}" in README and (ROOT / script).is_file()
    assert "bash scripts/test.sh" in (ROOT / ".ci" / "run").read_text()


def test_environment_table_lists_every_game() -> None:
    for family in GAMES:
        assert f"`{family.env_id()}`" in README, family.name
