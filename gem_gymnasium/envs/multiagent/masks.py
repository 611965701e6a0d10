r"""``info["action_mask"]``: which of a game's fixed actions are legal now.

Every game here has a finite move set, listed by ``all_actions()`` (``\boxed{}`` strings in a
fixed order: TicTacToe's cells 1-9, ConnectFour's columns 1-7, Kuhn Poker's check, bet, call,
fold, the negotiation's proposals then accept and reject, the Prisoner's Dilemma's C and D).
Entry ``i`` of the mask is 1 when ``all_actions()[i]`` is legal for that agent now, as
PettingZoo's classic games and sb3-contrib's ``MaskablePPO`` expect.

Two uses of a mask in PettingZoo assume integer actions, so the mask also speaks text:

* ``TerminateIllegalWrapper`` looks the agent's action up in ``info["action_mask"]``: indexed by
  an action *text*, the mask reads the entry of that text's last ``\boxed{}`` content (case and
  spacing ignored); text with no box, or a box outside the list, reads 0 (illegal);
* ``api_test`` and other random players call ``action_space(agent).sample(info["action_mask"])``:
  :class:`~gem_gymnasium.spaces.TextSpace` then samples one of :meth:`ActionMask.legal_actions`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from gem_gymnasium.parsing import last_boxed

__all__ = ["ActionMask", "action_index", "make_mask"]


def _key(content: str) -> str:
    return " ".join(content.split()).lower()


def action_index(actions: Sequence[str]) -> dict[str, int]:
    r"""``{normalised box content: position}`` for a fixed list of ``\boxed{}`` actions."""
    index = {}
    for position, action in enumerate(actions):
        content = last_boxed(action)
        if content is not None:
            index.setdefault(_key(content), position)
    return index


class ActionMask(np.ndarray):
    """An int8 array over a game's ``all_actions()`` that also takes an action text as index.

    Args (of the constructor): ``legal``, one flag per action; ``actions``, the action strings;
    ``index``, :func:`action_index` of ``actions`` (built once per game and shared).
    """

    _actions: tuple[str, ...]
    _index: Mapping[str, int]

    def __new__(
        cls, legal: Sequence[bool], actions: tuple[str, ...], index: Mapping[str, int]
    ) -> ActionMask:
        mask = np.asarray(legal, dtype=np.int8).view(cls)
        mask._actions, mask._index = actions, index
        return mask

    def __array_finalize__(self, source: Any) -> None:
        self._actions = getattr(source, "_actions", ())
        self._index = getattr(source, "_index", {})

    def legal_actions(self) -> list[str]:
        """The action strings whose entry is 1."""
        return [action for action, flag in zip(self._actions, self.tolist(), strict=False) if flag]

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str):
            content = last_boxed(key)
            position = None if content is None else self._index.get(_key(content))
            return np.int8(0) if position is None else np.ndarray.__getitem__(self, position)
        return super().__getitem__(key)

    def __reduce__(self) -> tuple[Any, ...]:
        # ndarray pickling drops attributes; rebuild from the flags, actions and index.
        return (ActionMask, (self.astype(bool).tolist(), self._actions, dict(self._index)))


def make_mask(actions: Sequence[str], legal: Sequence[str], cache: Any) -> ActionMask:
    """The mask of ``legal`` over ``actions``; ``cache`` (the game) keeps the shared index."""
    shared = getattr(cache, "_action_mask_parts", None)
    if shared is None or len(shared[0]) != len(actions):  # the action list is fixed per game
        shared = (tuple(actions), action_index(actions))
        cache._action_mask_parts = shared
    allowed = set(legal)
    return ActionMask([action in allowed for action in shared[0]], *shared)
