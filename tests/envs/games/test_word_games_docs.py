"""The docstrings of the word games: Gymnasium's headings, and an Arguments block that matches
the signature, the defaults and the registry's plain id."""

from __future__ import annotations

import ast
import inspect
import re

import gymnasium as gym
import pytest

import gem_gymnasium  # noqa: F401  (registers the ids)
from gem_gymnasium.core import TextEnv
from gem_gymnasium.envs.games.crosswords import Crosswords
from gem_gymnasium.envs.games.hangman import Hangman
from gem_gymnasium.envs.games.word_search import WordSearch
from gem_gymnasium.envs.games.wordle import Wordle

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
CLASSES = {"Wordle": Wordle, "Hangman": Hangman, "Crosswords": Crosswords, "WordSearch": WordSearch}


@pytest.mark.parametrize("name", CLASSES)
def test_headings_in_order(name):
    found = re.findall(r"^\s*## (.+)$", CLASSES[name].__doc__, re.MULTILINE)
    assert found == HEADINGS


@pytest.mark.parametrize("name", CLASSES)
def test_arguments_block_matches_signature_and_registry(name):
    cls = CLASSES[name]
    block = cls.__doc__.split("```python")[1].split("```")[0]
    assert f'"gem/{name}-v0"' in block
    documented = {k: ast.literal_eval(v) for k, v in re.findall(r"(\w+)=([^,\s)]+)", block)}
    defaults = {
        key: p.default
        for sig in (inspect.signature(TextEnv.__init__), inspect.signature(cls.__init__))
        for key, p in sig.parameters.items()
        if p.default is not inspect.Parameter.empty
    }
    own = {k for k in inspect.signature(cls.__init__).parameters if k not in ("self", "kwargs")}
    assert own <= documented.keys()
    assert all(defaults[k] == v for k, v in documented.items())
    assert all(defaults[k] == v for k, v in gym.spec(f"gem/{name}-v0").kwargs.items())
