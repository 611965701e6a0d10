from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Sequence

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


# --- ordinary mistakes: one line on stderr, exit status 2, a traceback only with --debug ---------


def _gem_gym(
    *args: str, stdin: str = "", blocked: Sequence[str] = ()
) -> subprocess.CompletedProcess:
    """Run ``gem-gym ARGS`` in a fresh interpreter, with the ``blocked`` packages uninstallable."""
    code = (
        "import sys\n"
        f"for name in {list(blocked)!r}: sys.modules[name] = None  # import raises ModuleNotFoundError\n"
        "from gem_gymnasium.cli import main\n"
        "sys.exit(main(sys.argv[1:]))\n"
    )
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _one_line_error(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("gem-gym: error: "), result.stderr
    return lines[0]


def test_version() -> None:
    import gem_gymnasium

    result = _gem_gym("--version")
    assert (
        result.returncode == 0 and result.stdout.strip() == f"gem-gym {gem_gymnasium.__version__}"
    )


def test_misspelled_id_is_one_line_with_the_suggestion() -> None:
    line = _one_line_error(_gem_gym("play", "gem/GuessTheNumbr-v0"))
    assert "No environment named 'gem/GuessTheNumbr-v0'" in line
    assert "Did you mean: gem/GuessTheNumber-v0" in line


def test_unknown_wrapper_is_one_line() -> None:
    line = _one_line_error(_gem_gym("play", "gem/GuessTheNumber-v0", "--wrappers", "bogus"))
    assert "unknown wrapper name(s) ['bogus']" in line and "python_tool" in line


def test_check_with_an_unknown_id_says_so_once() -> None:
    result = _gem_gym("check", "gem/Nope-v0")
    assert "No environment named 'gem/Nope-v0'" in _one_line_error(result)
    assert result.stdout == ""  # no table of nine failures


def test_debug_shows_the_traceback() -> None:
    for args in (("--debug", "play", "gem/Nope-v0"), ("play", "gem/Nope-v0", "--debug")):
        result = _gem_gym(*args)
        assert result.returncode != 0 and "Traceback" in result.stderr
        assert "UnregisteredEnv" in result.stderr


def test_eval_and_train_reject_a_bad_id_before_loading_a_model() -> None:
    # torch is blocked: the id is checked first, so the error is about the id, not the extra.
    for command in ("eval", "train"):
        flag = [] if command == "eval" else ["--env_id"]
        result = _gem_gym(command, *flag, "gem/GuessTheNumbr-v0", blocked=["torch"])
        assert "Did you mean" in _one_line_error(result)


@pytest.mark.parametrize(
    ("args", "blocked", "extra"),
    [
        (("play-ma", "TicTacToe"), ["pettingzoo"], "pettingzoo"),
        (("play", "gem/TicTacToe-vsRandom-v0"), ["pettingzoo"], "pettingzoo"),
        (("eval", "gem/GuessTheNumber-Easy-v0"), ["rich"], "train"),
        (("eval", "gem/GuessTheNumber-Easy-v0"), ["torch"], "train"),
        (("train", "--env_id", "gem/GuessTheNumber-Easy-v0"), ["torch"], "train"),
        (("play", "gem/RG-LegCounting-v0"), ["reasoning_gym"], "reasoning"),
    ],
)
def test_a_missing_extra_is_one_line_naming_it(
    args: tuple[str, ...], blocked: list[str], extra: str
) -> None:
    line = _one_line_error(_gem_gym(*args, blocked=blocked))
    assert f"optional package {blocked[0]!r}" in line
    assert f"pip install -e '.[{extra}]'" in line


def test_ctrl_c_in_play_exits_130_without_a_traceback() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "gem_gymnasium.cli", "play", "gem/GuessTheNumber-v0"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        process.stdout.readline()  # the first observation: it now waits for an action
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == 130 and "Traceback" not in stderr
    assert stderr.strip() == "gem-gym: interrupted"
