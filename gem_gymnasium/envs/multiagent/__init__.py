"""Multi-agent text games as PettingZoo environments, and single-seat Gymnasium views of them.

One module per game, PettingZoo-style: ``raw_env`` (the bare ``AECEnv``, or the ``ParallelEnv``
for simultaneous games), ``env()`` (the AEC env with the usual wrappers) and, for simultaneous
games, ``parallel_env``. Importing a game module imports PettingZoo (the ``[pettingzoo]``
extra); this package itself imports nothing heavy.

=====================  ====================  ==========  =============================
Game                   Module                API         Information
=====================  ====================  ==========  =============================
TicTacToe              ``tictactoe``         AEC         perfect
ConnectFour            ``connect_four``      AEC         perfect
KuhnPoker              ``kuhn_poker``        AEC         hidden (own card only)
PrisonersDilemma       ``prisoners_dilemma`` Parallel    simultaneous moves, messages
Negotiation            ``negotiation``       AEC         private valuations, messages
=====================  ====================  ==========  =============================

:mod:`~gem_gymnasium.envs.multiagent.single_agent` turns any of them into a Gymnasium env in
which the agent plays one seat against opponent policies (``gem/TicTacToe-vsRandom-v0``, ...);
:mod:`~gem_gymnasium.envs.multiagent.policies` holds the built-in policies and ``self_play``.
"""

from __future__ import annotations

import importlib
from types import ModuleType

__all__ = ["GAMES", "load_game"]

#: Game name (as in the registered ids) -> module in this package.
GAMES: dict[str, str] = {
    "TicTacToe": "tictactoe",
    "ConnectFour": "connect_four",
    "KuhnPoker": "kuhn_poker",
    "PrisonersDilemma": "prisoners_dilemma",
    "Negotiation": "negotiation",
}


def load_game(name: str) -> ModuleType:
    """The module of a game, by its name (``"TicTacToe"``) or module name (``"tictactoe"``)."""
    module = GAMES.get(name, name)
    if module not in GAMES.values():
        raise ValueError(f"unknown multi-agent game {name!r}; known: {', '.join(GAMES)}")
    return importlib.import_module(f"{__name__}.{module}")
