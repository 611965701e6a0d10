"""PettingZoo's own conformance tests, run on text environments.

PettingZoo's ``api_test`` was written for numpy observations. All of its checks apply to text
games except one: in ``play_test`` it calls ``_test_observation_space_compatibility``, which
asserts ``observation_space.dtype == observation.dtype``. A text observation is a Python ``str``,
which has no ``dtype`` (and Gymnasium's ``Text`` space declares the length-less ``dtype('<U')``,
which no concrete string array matches), so that single assertion cannot apply. :func:`text_api_test`
runs ``api_test`` unchanged except that this one check is replaced by its text equivalent: the
observation is a ``str`` contained in the agent's space. Every other check runs as written.

``api_test`` also *warns* (it does not fail) where numpy is assumed: "Observation is not a NumPy
array", and that observation and action spaces "probably should be" ``Box``/``Discrete``. Those
are the warnings :data:`TEXT_API_WARNINGS` lists; a test can accept exactly these and fail on any
other.
"""

from __future__ import annotations

import importlib
import re
from typing import Any
from unittest import mock

import gymnasium

__all__ = ["TEXT_API_WARNINGS", "text_api_test", "unexpected_warnings"]

#: The warnings ``api_test`` gives for any text environment (numpy-specific advice).
TEXT_API_WARNINGS: tuple[str, ...] = (
    r"Observation is not a NumPy array",
    r"Observation space for each agent probably should be gymnasium\.spaces\.box or",
    r"Action space for each agent probably should be gymnasium\.spaces\.box or",
)


def _text_aware(original: Any) -> Any:
    """PettingZoo's dtype comparison, with its text counterpart for ``Text`` spaces."""

    def check(expected: gymnasium.spaces.Space[Any], seen: Any, recursed_keys: list[str]) -> None:
        if isinstance(expected, gymnasium.spaces.Text):
            assert isinstance(seen, str), f"text observation expected, got {type(seen).__name__}"
            assert expected.contains(seen), "observation not contained in its Text space"
        else:
            original(expected, seen, recursed_keys)

    return check


def text_api_test(env: Any, num_cycles: int = 1000) -> None:
    """``pettingzoo.test.api_test`` with the text-aware observation dtype check (see above)."""
    module = importlib.import_module("pettingzoo.test.api_test")
    original = module._test_observation_space_compatibility
    with mock.patch.object(module, "_test_observation_space_compatibility", _text_aware(original)):
        module.api_test(env, num_cycles=num_cycles)


def unexpected_warnings(messages: list[str]) -> list[str]:
    """The messages among ``messages`` that are not one of :data:`TEXT_API_WARNINGS`."""
    return [m for m in messages if not any(re.search(p, m) for p in TEXT_API_WARNINGS)]
