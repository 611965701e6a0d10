"""PettingZoo's own test functions, run against every multi-agent game.

``api_test`` runs through :func:`text_api_test`, which swaps only its numpy dtype comparison for
the text equivalent (see ``gem_gymnasium.envs.multiagent.checks``); the warnings it may give are
limited to the numpy advice listed in ``TEXT_API_WARNINGS``. Each test runs twice: with
PettingZoo's own random text actions (almost all format errors), and with action spaces whose
``sample()`` returns legal moves, so that the same checks also cover real games.
"""

from __future__ import annotations

import functools
import types
import warnings
from collections.abc import Callable
from typing import Any

import pytest

pytest.importorskip("pettingzoo")

from pettingzoo.test import (
    max_cycles_test,
    parallel_api_test,
    parallel_seed_test,
    render_test,
    seed_test,
)

from gem_gymnasium.envs.multiagent import GAMES, load_game
from gem_gymnasium.envs.multiagent.checks import text_api_test, unexpected_warnings
from gem_gymnasium.spaces import TextSpace

AEC_GAMES = list(GAMES)
PARALLEL_GAMES = [name for name in GAMES if hasattr(load_game(name), "parallel_env")]


class LegalMoveSpace(TextSpace):
    """A text space whose ``sample()`` usually returns a legal move of the game.

    One sample in ten is random text, so format errors stay covered.
    """

    def __init__(self, game: Any, agent: str) -> None:
        super().__init__()
        self._game, self._agent = game, agent

    def sample(self, mask: Any = None, probability: Any = None) -> str:
        moves = self._game.legal_actions(self._agent)
        if moves and self.np_random.random() > 0.1:
            return moves[int(self.np_random.integers(len(moves)))]
        return super().sample()


def _with_legal_sampling(env: Any) -> Any:
    raw = env.unwrapped
    raw._action_spaces = {a: LegalMoveSpace(raw, a) for a in raw.possible_agents}
    return env


def _factory(name: str, legal: bool, kind: str = "env") -> Callable[..., Any]:
    make = getattr(load_game(name), kind)

    @functools.wraps(make)
    def build(**kwargs: Any) -> Any:
        env = make(**kwargs)
        return _with_legal_sampling(env) if legal else env

    return build


def _run_checked(check: Callable[[], None]) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        check()
    assert unexpected_warnings([str(w.message) for w in caught]) == []


@pytest.mark.parametrize("legal", [False, True], ids=["text-samples", "legal-samples"])
@pytest.mark.parametrize("name", AEC_GAMES)
def test_api_test(name: str, legal: bool) -> None:
    _run_checked(lambda: text_api_test(_factory(name, legal)(), num_cycles=200))


@pytest.mark.parametrize("legal", [False, True], ids=["text-samples", "legal-samples"])
@pytest.mark.parametrize("name", AEC_GAMES)
def test_seed_test(name: str, legal: bool) -> None:
    _run_checked(lambda: seed_test(_factory(name, legal), num_cycles=50))


@pytest.mark.parametrize("name", AEC_GAMES)
def test_render_test(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    _run_checked(lambda: render_test(_factory(name, True)))
    assert capsys.readouterr().out  # "human" mode printed the state


@pytest.mark.parametrize("legal", [False, True], ids=["text-samples", "legal-samples"])
@pytest.mark.parametrize("name", PARALLEL_GAMES)
def test_parallel_api_test(name: str, legal: bool) -> None:
    _run_checked(lambda: parallel_api_test(_factory(name, legal, "parallel_env")(), 200))


@pytest.mark.parametrize("name", PARALLEL_GAMES)
def test_parallel_seed_test(name: str) -> None:
    _run_checked(lambda: parallel_seed_test(_factory(name, True, "parallel_env"), 50))


@pytest.mark.parametrize("name", PARALLEL_GAMES)
def test_max_cycles_test(name: str) -> None:
    module = load_game(name)
    _run_checked(lambda: max_cycles_test(module))
    # And with legal moves: the round count still decides the length.
    legal = types.SimpleNamespace(
        env=_factory(name, True), parallel_env=_factory(name, True, "parallel_env")
    )
    _run_checked(lambda: max_cycles_test(legal))


def test_dtype_check_is_the_only_replaced_check() -> None:
    """Unpatched, api_test fails exactly on the dtype comparison (a str has no dtype)."""
    from pettingzoo.test import api_test

    with pytest.raises(AttributeError, match="dtype"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        api_test(load_game("TicTacToe").env(), num_cycles=5)
