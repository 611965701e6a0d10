"""Game2048: slide and merge tiles to reach a target tile."""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any

import numpy as np

from gem_gymnasium.actions import DIRECTION_CHOICES, MoveTool, Param
from gem_gymnasium.core import Outcome, TextEnv

DIRECTIONS = ("up", "down", "left", "right")

#: ``(target_tile, max_turns)`` that the Random preset draws from.
RANDOM_PRESETS = ((16, 20), (32, 30), (64, 50))

Board = tuple[tuple[int, ...], ...]  # rows of tile values, 0 = empty


@lru_cache(maxsize=65536)  # few distinct lines occur; moves repeat them constantly
def slide_line(line: tuple[int, ...]) -> tuple[int, ...]:
    """Slide a line towards index 0, merging each pair of equal neighbours once.

    >>> slide_line((2, 2, 2, 2)), slide_line((0, 4, 4, 8)), slide_line((2, 0, 2, 4))
    ((4, 4, 0, 0), (8, 8, 0, 0), (4, 4, 0, 0))
    """
    tiles = [v for v in line if v]
    merged: list[int] = []
    i = 0
    while i < len(tiles):
        if i + 1 < len(tiles) and tiles[i] == tiles[i + 1]:
            merged.append(2 * tiles[i])
            i += 2
        else:
            merged.append(tiles[i])
            i += 1
    return (*merged, *([0] * (len(line) - len(merged))))


def move(board: Board, direction: str) -> Board:
    """The board after sliding every tile ``direction`` (before a new tile appears)."""
    if direction == "left":
        return tuple(slide_line(row) for row in board)
    if direction == "right":
        return tuple(slide_line(row[::-1])[::-1] for row in board)
    columns = tuple(zip(*board, strict=True))
    if direction == "up":
        slid = [slide_line(col) for col in columns]
    elif direction == "down":
        slid = [slide_line(col[::-1])[::-1] for col in columns]
    else:
        raise ValueError(f"direction must be one of {DIRECTIONS}, got {direction!r}")
    return tuple(zip(*slid, strict=True))


def legal_moves(board: Board) -> list[str]:
    """The directions that change the board, in :data:`DIRECTIONS` order."""
    return [d for d in DIRECTIONS if move(board, d) != board]


def spawn_tile(board: Board, rng: np.random.Generator) -> Board:
    """``board`` with a 2 (probability 0.9) or a 4 in a uniformly drawn empty cell."""
    empty = [(r, c) for r, row in enumerate(board) for c, v in enumerate(row) if not v]
    if not empty:
        return board
    r, c = empty[int(rng.integers(len(empty)))]
    value = 2 if rng.random() < 0.9 else 4
    rows = [list(row) for row in board]
    rows[r][c] = value
    return tuple(tuple(row) for row in rows)


def max_tile(board: Board) -> int:
    return max(max(row) for row in board)


def render_board(board: Board) -> str:
    """Rows of right-aligned tiles, ``.`` for an empty cell."""
    width = max(4, len(str(max_tile(board))))
    return "\n".join(" ".join(f"{v or '.':>{width}}" for v in row) for row in board)


class Game2048(TextEnv[str]):
    r"""Slide the tiles of a 2048 board to merge them into a ``target_tile``.

    ## Description
    A ``size`` x ``size`` board starts with two tiles. A move slides every tile as far as it goes
    in one direction; two equal tiles that meet merge into their sum (each tile merges at most
    once per move). After every move that changes the board a new tile appears in a random empty
    cell: a 2 with probability 0.9, else a 4. The goal is a tile of at least ``target_tile``.

    ## Action Space
    Free text (:class:`~gem_gymnasium.spaces.TextSpace`). Only the last ``\boxed{...}`` counts
    and must hold ``up``, ``down``, ``left`` or ``right`` (any case). A direction that changes
    nothing is *invalid*: reward 0, the turn is used, the board is unchanged.

    ## Observation Space
    Text. At reset: the rules and the board. After a step: the feedback, the board, the largest
    tile, the turns left, the directions that change the board, and the move format.

    ## Starting State
    Two tiles (2 or 4) in random cells, drawn from ``self.np_random``. With ``randomize=True``
    (the ``Random`` preset) each reset first draws ``(target_tile, max_turns)`` from
    ``(16, 20)``, ``(32, 30)`` and ``(64, 50)``.

    ## Rewards
    Progress is measured in doublings. Whenever the largest tile on the board after a turn
    (capped at ``target_tile``) exceeds the largest so far, the turn pays
    ``(log2(new) - log2(previous)) / (log2(target_tile) - log2(initial largest))``, so reaching the
    target totals 1.0. Other moves pay 0.0; a format error pays -0.1. The turn limit adds nothing.

    ## Episode End
    Termination: a tile reaches ``target_tile`` (success), no move can change the board
    (reason ``"no_moves"``), a format error (unless ``end_on_format_error=False``) or the turn
    limit. Truncation: never by the environment itself.

    ## Information
    ``turn``, ``max_turns``, ``valid_action``, ``format_error``; at the end ``success`` and
    ``reason`` (``"won"``, ``"no_moves"``, ``"format_error"`` or ``"turn_limit"``).

    ## Arguments
    ```python
    gymnasium.make("gem/Game2048-v0", target_tile=2048, max_turns=1000, size=4,
                   randomize=False, format_error_reward=-0.1, end_on_format_error=True,
                   answer_format=None, render_mode=None)
    ```
    ``answer_format``: where the move goes (:mod:`~gem_gymnasium.actions`); ``None`` is
    ``"boxed"``; ``"tool_call"`` takes calls of ``move(direction)``.
    ``target_tile`` is a power of two, at least 8. Presets: ``gem/Game2048-Easy-v0`` (64, 50
    turns), ``-Hard-v0`` (512, 50 turns), ``-Extreme-v0`` (2048, 100 turns), ``-Random-v0``
    (``randomize=True``).

    ## Version History
    * v0: Initial version, GEM's reward scale.
    """

    move_tools = (
        MoveTool(
            "move",
            "Slide every tile one way; equal tiles that meet merge.",
            (Param("direction", "choice", "The way the tiles slide.", DIRECTION_CHOICES),),
        ),
    )

    def __init__(
        self,
        target_tile: int = 2048,
        max_turns: int = 1000,
        size: int = 4,
        *,
        randomize: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(max_turns=max_turns, **kwargs)
        if not isinstance(target_tile, int) or target_tile < 8 or target_tile & (target_tile - 1):
            raise ValueError(
                f"Game2048: target_tile must be a power of two >= 8, got {target_tile!r}"
            )
        if not isinstance(size, int) or size < 2:
            raise ValueError(f"Game2048: size must be an int >= 2, got {size!r}")
        self.target_tile = target_tile
        self.size = size
        self.randomize = randomize
        self.board: Board = ()
        self._legal: tuple[Board, list[str]] = ((), [])  # (board, its legal moves) cache
        self.start_max = 2  # largest tile at reset
        self.best = 2  # largest tile so far, capped at the target

    def _new_episode(self, options: dict[str, Any] | None) -> None:
        if self.randomize:
            preset = RANDOM_PRESETS[int(self.np_random.integers(len(RANDOM_PRESETS)))]
            self.target_tile, self.max_turns = preset
        board: Board = tuple((0,) * self.size for _ in range(self.size))
        board = spawn_tile(spawn_tile(board, self.np_random), self.np_random)
        self.board = board
        self.start_max = self.best = max_tile(board)

    def rules(self) -> str:
        return (
            f"You are playing 2048 on a {self.size}x{self.size} board. Your goal is to make a "
            f"tile of {self.target_tile} within {self.max_turns} turns.\n"
            "Each move slides every tile as far as possible up, down, left or right. Two tiles "
            "with the same number that collide merge into one tile with their sum (a tile merges "
            "at most once per move). After every move that changes the board, a new tile (2, or "
            "sometimes 4) appears in a random empty cell. A move that changes nothing is invalid "
            "and wastes the turn; the game ends when no move can change the board. Empty cells "
            "are shown as '.'.\n"
            r"Enter a move as \boxed{up}, \boxed{down}, \boxed{left} or \boxed{right}."
        )

    def describe_state(self) -> str:
        lines = ["Board:", render_board(self.board)]
        lines.append(f"Largest tile: {max_tile(self.board)} (target {self.target_tile}).")
        if not self.done:
            lines.append(
                f"Turns left: {self.max_turns - self.turn}. "
                f"Moves that change the board: {', '.join(self.legal_moves())}."
            )
        return "\n".join(lines)

    def action_prompt(self) -> str:
        return r"Enter your move as \boxed{up}, \boxed{down}, \boxed{left} or \boxed{right}."

    def parse_move(self, content: str) -> str | None:
        direction = content.strip().lower()
        return direction if direction in DIRECTIONS else None

    def play(self, direction: str) -> Outcome:
        after = move(self.board, direction)
        if after == self.board:
            return Outcome(
                f"Invalid move: moving {direction} changes nothing. "
                f"Moves that change the board: {', '.join(self.legal_moves())}.",
                valid=False,
            )
        self.board = spawn_tile(after, self.np_random)
        reward = self._progress_reward()
        feedback = f"You moved {direction}."
        if max_tile(self.board) >= self.target_tile:
            return Outcome(
                f"{feedback} You made the {self.target_tile} tile!", reward=reward, won=True
            )
        if not self.legal_moves():
            return Outcome(
                f"{feedback} No move can change the board any more.",
                reward=reward,
                lost=True,
                reason="no_moves",
            )
        return Outcome(feedback, reward=reward)

    def legal_moves(self) -> list[str]:
        """The directions that change the current board (cached per board)."""
        if self._legal[0] is not self.board:
            self._legal = (self.board, legal_moves(self.board))
        return self._legal[1]

    def _progress_reward(self) -> float:
        """Growth of the capped largest tile, in doublings, as a fraction of the way to the target."""
        largest = min(max_tile(self.board), self.target_tile)
        if largest <= self.best:
            return 0.0
        span = math.log2(self.target_tile) - math.log2(self.start_max)
        reward = (math.log2(largest) - math.log2(self.best)) / span
        self.best = largest
        return reward

    def sample_random_action(self) -> str:
        choices = self.legal_moves() or list(DIRECTIONS)
        return f"\\boxed{{{choices[int(self.action_space.np_random.integers(len(choices)))]}}}"

    def draw(self) -> Any:
        """The tiles, warmer colours for larger values."""
        from gem_gymnasium.rendering import grid_image

        def cell(value: int) -> tuple[str, str]:
            if value == 0:
                return "", "empty"
            color = "given" if value <= 4 else "yellow" if value <= 32 else "orange"
            return str(value), "red" if value >= self.target_tile else color

        rows = [[cell(v) for v in row] for row in self.board]
        return grid_image(rows, caption=self.frame_caption(), cell_size=48)
