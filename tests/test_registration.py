from __future__ import annotations

import subprocess
import sys

import gymnasium as gym
import pytest

import gem_gymnasium
from gem_gymnasium.registration import FAMILIES, GAMES, format_envs, resolve_id


def test_every_family_preset_is_registered_with_a_string_entry_point() -> None:
    for family in FAMILIES:
        for preset in family.presets:
            spec = gym.spec(family.env_id(preset))
            assert isinstance(spec.entry_point, str) and spec.namespace == "gem"


def test_games_have_the_four_presets() -> None:
    for family in GAMES:
        assert {"", "Easy", "Hard", "Random"} <= set(family.presets), family.name


@pytest.mark.parametrize(
    ("gem_id", "our_id"),
    [
        ("game:GuessTheNumber-v0", "gem/GuessTheNumber-v0"),
        ("game:GuessTheNumber-v0-easy", "gem/GuessTheNumber-Easy-v0"),
        ("game:GuessTheNumber-v0-hard", "gem/GuessTheNumber-Hard-v0"),
        ("game:GuessTheNumber-v0-random", "gem/GuessTheNumber-Random-v0"),
        ("game:TowerofHanoi-v0-hard", "gem/TowerOfHanoi-Hard-v0"),
        ("game:Game2048-v0-extreme-hard", "gem/Game2048-Extreme-v0"),
        ("GuessTheNumber-v0", "gem/GuessTheNumber-v0"),
        ("gem/GuessTheNumber-v0", "gem/GuessTheNumber-v0"),
    ],
)
def test_resolve_gem_ids(gem_id: str, our_id: str) -> None:
    assert resolve_id(gem_id) == our_id


def test_make_accepts_gem_ids_and_kwargs() -> None:
    env = gem_gymnasium.make("game:GuessTheNumber-v0-hard", max_turns=3)
    assert env.spec.id == "gem/GuessTheNumber-Hard-v0" and env.unwrapped.max_turns == 3
    assert env.unwrapped.max_number == 50


def test_unknown_id_lists_close_matches() -> None:
    with pytest.raises(gym.error.UnregisteredEnv, match=r"Did you mean.*GuessTheNumber"):
        gem_gymnasium.make("game:GuessTheNumbr-v0-easy")
    with pytest.raises(gym.error.UnregisteredEnv, match="gem-gym list"):
        gem_gymnasium.make("nothing-like-it")


def test_make_by_module_prefix_without_prior_import() -> None:
    code = (
        "import gymnasium as gym\n"
        "env = gym.make('gem_gymnasium:gem/GuessTheNumber-v0')\n"
        "print(type(env.unwrapped).__name__)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "GuessTheNumber"


def test_import_is_light() -> None:
    code = (
        "import sys, gem_gymnasium\n"
        "heavy = {'torch', 'transformers', 'datasets', 'reasoning_gym', 'pettingzoo', 'mcp',"
        " 'faiss', 'stable_baselines3', 'math_verify', 'vllm'}\n"
        "print(sorted(heavy & set(sys.modules)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_user_registration_and_listing() -> None:
    gem_gymnasium.register(
        "mylab/Echo-v0",
        "gem_gymnasium.envs.games.guess_the_number:GuessTheNumber",
        kwargs={"max_number": 5},
        summary="A user env.",
        gem_ids=("mine:Echo",),
    )
    assert gem_gymnasium.make("mine:Echo").unwrapped.max_number == 5
    assert "mylab/Echo-v0" in gem_gymnasium.catalogue()
    listing = format_envs()
    assert "[user]" in listing and "A user env." in listing and "[game]" in listing
    with pytest.raises(ValueError, match="module:Class"):
        gem_gymnasium.register("mylab/Bad-v0", "not-an-entry-point")


def test_print_envs(capsys: pytest.CaptureFixture[str]) -> None:
    gem_gymnasium.print_envs("game")
    out = capsys.readouterr().out
    assert "gem/GuessTheNumber-Easy-v0" in out and "Find a secret integer" in out
