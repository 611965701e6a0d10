"""FifteenPuzzle: slide numbered tiles into order on an ``n x n`` board with one blank."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from gem_gymnasium.actions import DIRECTION_CHOICES, MoveTool, Param
from gem_gymnasium.core import Outcome, TextEnv

#: (num_rows, max_turns) drawn from at every reset by the Random preset.
RANDOM_PRESETS: tuple[tuple[int, int], ...] = ((2, 10), (3, 20), (4, 50))

Board = tuple[int, ...]  # row-major tiles, 0 is the blank

#: A move names the direction a tile slides into the blank; the blank goes the other way.
BLANK_STEP: dict[str, tuple[int, int]] = {
    "up": (1, 0),  # the tile below the blank slides up
    "down": (-1, 0),
    "left": (0, 1),  # the tile right of the blank slides left
    "right": (0, -1),
}
OPPOSITE = {"up": "down", "down": "up", "left": "right", "right": "left"}


def goal_board(n: int) -> Board:
    """Tiles ``1..n*n-1`` in reading order with the blank in the bottom-right corner."""
    return (*range(1, n * n), 0)


def legal_moves(board: Board, n: int) -> list[str]:
    """The directions that move a tile, in the fixed order up, down, left, right."""
    row, col = divmod(board.index(0), n)
    return [
        move for move, (dr, dc) in BLANK_STEP.items() if 0 <= row + dr < n and 0 <= col + dc < n
    ]


def slide(board: Board, n: int, move: str) -> Board | None:
    """The board after ``move``, or ``None`` if no tile can slide that way."""
    blank = board.index(0)
    row, col = divmod(blank, n)
    dr, dc = BLANK_STEP[move]
    if not (0 <= row + dr < n and 0 <= col + dc < n):
        return None
    target = (row + dr) * n + col + dc
    tiles = list(board)
    tiles[blank], tiles[target] = tiles[target], 0
    return tuple(tiles)


def scramble(rng: np.random.Generator, n: int, num_moves: int) -> tuple[Board, list[str]]:
    """A random walk of ``num_moves`` moves from the goal that never undoes its previous move.

    Returns the board and the moves made; playing their opposites in reverse solves the board,
    so it can be solved in at most ``num_moves`` moves. Only solvable boards can be reached.
    """
    tiles, blank, moves = list(goal_board(n)), n * n - 1, []
    # One vectorised draw instead of a generator call per step keeps resets cheap.
    for u in rng.random(num_moves).tolist():
        row, col = divmod(blank, n)
        options = [
            move
            for move, (dr, dc) in BLANK_STEP.items()
            if 0 <= row + dr < n
            and 0 <= col + dc < n
            and not (moves and move == OPPOSITE[moves[-1]])
        ]
        move = options[int(u * len(options))]
        dr, dc = BLANK_STEP[move]
        target = blank + dr * n + dc
        tiles[blank], tiles[target] = tiles[target], 0
        blank = target
        moves.append(move)
    return tuple(tiles), moves


def tiles_in_place(board: Board) -> int:
    """How many numbered tiles sit on their goal square."""
    return sum(tile == i + 1 for i, tile in enumerate(board))


def render_board(board: Sequence[int], n: int) -> str:
    """Rows of right-aligned numbers with ``__`` for the blank."""
    width = max(2, len(str(n * n - 1)))
    cells = ["_" * width if t == 0 else str(t).rjust(width) for t in board]
    return "\n".join(" ".join(cells[r * n : (r + 1) * n]) for r in range(n))


class FifteenPuzzle(TextEnv[str]):
    r"""Slide the tiles of an ``num_rows x num_rows`` puzzle into order.

    ## Description
    The board holds the tiles ``1 .. num_rows**2 - 1`` and one blank. A move slides a tile next to
    the blank into it. The goal has the tiles in reading order (left to right, top to bottom) and
    the blank in the bottom-right corner. The start board is scrambled by a random walk that never
    undoes its previous move, so every board is solvable within the turn limit, is never already
    solved, and boards vary from episode to episode.

    ## Action Space
    Free text (:class:`~gem_gymnasium.spaces.TextSpace`). Only the last ``\boxed{...}`` counts and
    must hold ``up``, ``down``, ``left`` or ``right`` (any case): the direction a tile moves into
    the blank. ``\boxed{up}`` slides the tile below the blank up. A direction with no tile to slide
    is invalid (the turn is used).

    ## Observation Space
    Text. At reset: the rules and the board. After a step: the feedback, the board (``__`` is the
    blank), the legal moves, how many tiles are in place and the turns left.

    ## Starting State
    A random walk from the goal of ``L`` moves, ``L`` drawn from ``self.np_random`` between
    ``ceil(bound / 2)`` and ``bound`` where ``bound`` is ``scramble_moves`` (default
    ``max_turns``); walks that end on the goal are redrawn. With ``randomize=True`` (the
    ``Random`` preset) ``(num_rows, max_turns)`` is re-drawn at every reset from ``(2, 10)``,
    ``(3, 20)`` and ``(4, 50)``.

    ## Rewards
    * 1.0 when the puzzle is solved;
    * 0.0 for other moves, valid or invalid;
    * -0.1 for a format error (no direction in a ``\boxed{}``);
    * on the turn that exhausts ``max_turns`` unsolved: the fraction of numbered tiles on their
      goal square.

    ## Episode End
    Termination: solved, a format error (unless ``end_on_format_error=False``) or the turn limit.
    Truncation: never by the environment itself.

    ## Information
    ``turn``, ``max_turns``, ``valid_action``, ``format_error``; at the end ``success`` and ``reason``
    (``"won"``, ``"format_error"`` or ``"turn_limit"``).

    ## Arguments
    ```python
    gymnasium.make("gem/FifteenPuzzle-v0", num_rows=3, max_turns=20, scramble_moves=None,
                   randomize=False, format_error_reward=-0.1, end_on_format_error=True,
                   answer_format=None, render_mode=None)
    ```
    ``answer_format``: where the move goes (:mod:`~gem_gymnasium.actions`); ``None`` is
    ``"boxed"``; ``"tool_call"`` takes calls of ``slide(direction)``.
    ``scramble_moves`` bounds the scrambling walk (and so the moves an optimal solution needs);
    above ``max_turns`` some boards may not be solvable in time. Presets:
    ``gem/FifteenPuzzle-Easy-v0`` (2x2, 10 turns), ``-Hard-v0`` (4x4, 50 turns), ``-Random-v0``
    (``randomize=True``).

    ## Version History
    * v0: Initial version, GEM's reward scale; boards are always solvable, never solved at the
      start and varied; the turn-limit reward counts numbered tiles only.
    """

    move_tools = (
        MoveTool(
            "slide",
            "Slide the tile next to the blank into it.",
            (Param("direction", "choice", "The way the tile moves.", DIRECTION_CHOICES),),
        ),
    )

    def __init__(
        self,
        num_rows: int = 3,
        max_turns: int = 20,
        *,
        scramble_moves: int | None = None,
        randomize: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(max_turns=max_turns, **kwargs)
        if num_rows < 2:
            raise ValueError(f"FifteenPuzzle: num_rows must be >= 2, got {num_rows}")
        if scramble_moves is not None and scramble_moves < 1:
            raise ValueError(f"FifteenPuzzle: scramble_moves must be >= 1, got {scramble_moves}")
        self.num_rows = num_rows
        self.scramble_moves = scramble_moves
        self.randomize = randomize
        self.board: Board = goal_board(num_rows)

    def _new_episode(self, options: dict[str, Any] | None) -> None:
        rng = self.np_random
        if self.randomize:
            self.num_rows, self.max_turns = RANDOM_PRESETS[int(rng.integers(len(RANDOM_PRESETS)))]
        bound = self.scramble_moves or self.max_turns
        goal = goal_board(self.num_rows)
        self.board = goal
        while self.board == goal:  # a walk can loop back to the goal; draw again
            length = int(rng.integers(math.ceil(bound / 2), bound + 1))
            self.board, _ = scramble(rng, self.num_rows, length)

    def rules(self) -> str:
        n = self.num_rows
        return (
            f"You are playing the {n * n - 1}-puzzle on a {n}x{n} board. Slide the tiles until "
            f"they read 1 to {n * n - 1} from left to right and top to bottom, with the blank "
            f"(__) in the bottom-right corner. You have {self.max_turns} moves.\n"
            "Each move slides one tile next to the blank into it; name the direction the tile "
            "moves: \\boxed{up} moves the tile below the blank up, \\boxed{down} the tile above "
            "it down, \\boxed{left} the tile to its right left, \\boxed{right} the tile to its "
            "left right."
        )

    def describe_state(self) -> str:
        n = self.num_rows
        lines = [
            render_board(self.board, n),
            f"Tiles in place: {tiles_in_place(self.board)} of {n * n - 1}.",
        ]
        if not self.done:
            lines[-1] += f" Moves left: {self.max_turns - self.turn}."
            lines.append("Possible moves: " + ", ".join(legal_moves(self.board, n)) + ".")
        return "\n".join(lines)

    def action_prompt(self) -> str:
        return r"Enter your move as \boxed{up}, \boxed{down}, \boxed{left} or \boxed{right}."

    def parse_move(self, content: str) -> str | None:
        move = content.strip(" \t\n'\"`.").lower()
        return move if move in BLANK_STEP else None

    def play(self, move: str) -> Outcome | str:
        board = slide(self.board, self.num_rows, move)
        if board is None:
            return Outcome(
                f"Invalid move: no tile can slide {move}; possible moves are "
                + ", ".join(legal_moves(self.board, self.num_rows))
                + ".",
                valid=False,
            )
        self.board = board
        if board == goal_board(self.num_rows):
            return Outcome(f"You slid a tile {move}: the puzzle is solved!", reward=1.0, won=True)
        return f"You slid a tile {move}."

    def turn_limit_reward(self) -> float:
        return tiles_in_place(self.board) / (self.num_rows**2 - 1)

    def sample_random_action(self) -> str:
        moves = legal_moves(self.board, self.num_rows)
        return f"\\boxed{{{moves[int(self.action_space.np_random.integers(len(moves)))]}}}"

    def draw(self) -> Any:
        """The tiles; a tile in its goal place is green, the blank is white."""
        from gem_gymnasium.rendering import grid_image

        n = self.num_rows
        cells = [
            ("", "empty") if tile == 0 else (str(tile), "green" if tile == i + 1 else "given")
            for i, tile in enumerate(self.board)
        ]
        return grid_image(
            [cells[r * n : (r + 1) * n] for r in range(n)],
            caption=self.frame_caption(),
            cell_size=48,
        )
