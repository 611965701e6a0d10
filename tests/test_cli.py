from __future__ import annotations

import subprocess
import sys

import pytest

from gem_gymnasium.cli import main


def test_list(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["list", "--gem-ids"]) == 0
    out = capsys.readouterr().out
    assert "gem/GuessTheNumber-Hard-v0" in out and "game:GuessTheNumber-v0-hard" in out


def test_check_passes_and_fails(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "gem/GuessTheNumber-Easy-v0", "--checks", "fuzz,type_error"]) == 0
    assert "2 passed, 0 failed" in capsys.readouterr().out
    assert main(["check", "gem/GuessTheNumber-Easy-v0", "--checks", "bogus"]) == 2


def _play(stdin: str, *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "gem_gymnasium.cli", "play", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return result.stdout


def test_play_scripted_binary_search() -> None:
    # Secret for seed 0 on Easy is found within 4 bisecting guesses; script a fixed sequence.
    from gem_gymnasium.envs.games.guess_the_number import GuessTheNumber

    env = GuessTheNumber(1, 10, 4)
    env.reset(seed=0)
    out = _play(f"\\boxed{{{env.secret}}}\n", "gem/GuessTheNumber-Easy-v0", "--seed", "0")
    assert "Correct!" in out and "Episode 1 finished: success, return +1.000" in out


def test_play_random_multiline_and_quit() -> None:
    out = _play(
        ":random\n\\\nline one\n\\boxed{3}\n.\n:quit\n", "game:GuessTheNumber-v0", "--seed", "1"
    )
    assert "(random action)" in out and "(stopped)" in out
