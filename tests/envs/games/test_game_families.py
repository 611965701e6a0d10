"""What every game family promises alike: a Gymnasium-style class docstring whose Arguments
block matches the constructor and the registry, and (for the games that promise it) random
actions that are always legal moves.

Parametrised over :data:`gem_gymnasium.registration.GAMES`, so a new game is checked as soon as
it is in the table. Generic env behaviour (``check_env``, determinism, snapshots, pickling,
hostile input) is the conformance suite's job (``tests/test_conformance.py``).
"""

from __future__ import annotations

import ast
import importlib
import inspect
import re

import gymnasium as gym
import pytest

import gem_gymnasium  # noqa: F401  (registers the ids)
from gem_gymnasium.core import TextEnv
from gem_gymnasium.registration import GAMES, Family

HEADINGS = [
    "Description",
    "Action Space",
    "Observation Space",
    "Starting State",
    "Rewards",
    "Episode End",
    "Information",
    "Arguments",
    "Version History",
]

#: Games whose ``sample_random_action`` only proposes legal moves. Sudoku, Crosswords and
#: WordSearch sample any value / line, which may be a rule-breaking (invalid) move by design.
LEGAL_SAMPLING = [
    "GuessTheNumber",
    "Mastermind",
    "Minesweeper",
    "Wordle",
    "FifteenPuzzle",
    "Hangman",
    "TowerOfHanoi",
]


def _load(family: Family) -> type[TextEnv] | None:
    module, name = family.entry_point.split(":")
    try:
        return getattr(importlib.import_module(module), name)
    except ImportError:  # a game still being written is left to its own tests
        return None


CLASSES = {f.name: (f, cls) for f in GAMES if (cls := _load(f)) is not None}


def _defaults(cls: type[TextEnv]) -> dict:
    """Every keyword default a caller gets: TextEnv's, overridden by the class's own."""
    return {
        key: p.default
        for sig in (inspect.signature(TextEnv.__init__), inspect.signature(cls.__init__))
        for key, p in sig.parameters.items()
        if p.default is not inspect.Parameter.empty
    }


def _arguments_block(cls: type[TextEnv]) -> str:
    return cls.__doc__.split("```python")[1].split("```")[0]


@pytest.mark.parametrize("name", CLASSES)
def test_headings_in_order(name):
    _, cls = CLASSES[name]
    found = re.findall(r"^\s*## (.+)$", cls.__doc__, re.MULTILINE)
    assert found == HEADINGS


@pytest.mark.parametrize("name", CLASSES)
def test_version_history_names_the_registered_version(name):
    family, cls = CLASSES[name]
    history = cls.__doc__.split("## Version History")[1]
    assert f"* v{family.version}:" in history


@pytest.mark.parametrize("name", CLASSES)
def test_arguments_block_matches_signature_and_registry(name):
    family, cls = CLASSES[name]
    block = _arguments_block(cls)
    assert f'gymnasium.make("{family.env_id()}",' in block
    documented = {k: ast.literal_eval(v) for k, v in re.findall(r"(\w+)=([^,\s)]+)", block)}
    defaults = _defaults(cls)
    own = {k for k in inspect.signature(cls.__init__).parameters if k not in ("self", "kwargs")}
    # Every constructor argument is documented, with its real default.
    assert own <= documented.keys()
    assert all(defaults[k] == v for k, v in documented.items())
    # The plain id is the documented defaults; every preset only sets documented arguments.
    assert all(defaults[k] == v for k, v in gym.spec(family.env_id()).kwargs.items())
    for preset, kwargs in family.presets.items():
        assert kwargs.keys() <= documented.keys(), preset
        assert dict(gym.spec(family.env_id(preset)).kwargs) == dict(kwargs)


@pytest.mark.parametrize(
    "env_id",
    [f.env_id(p) for f in GAMES if f.name in LEGAL_SAMPLING for p in f.presets],
)
def test_random_actions_parse_and_are_legal(env_id):
    env = gym.make(env_id).unwrapped
    for seed in range(5):
        env.reset(seed=seed)
        env.action_space.seed(seed)
        terminated = False
        while not terminated:
            _, reward, terminated, _, info = env.step(env.sample_random_action())
            assert info["valid_action"] and not info["format_error"] and reward >= 0
