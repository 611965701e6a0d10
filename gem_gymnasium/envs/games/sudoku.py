"""Sudoku: fill a grid that has exactly one solution."""

from __future__ import annotations

from typing import Any

from gem_gymnasium.actions import MoveTool, Param
from gem_gymnasium.core import Outcome, TextEnv
from gem_gymnasium.envs.games.sudoku_rules import MAX_EMPTY, box_size, conflict, make_puzzle
from gem_gymnasium.parsing import parse_ints

#: ``(size, num_empty, max_turns)`` that the Random preset draws from: Easy and Hard.
RANDOM_PRESETS = ((4, 10, 15), (9, 47, 50))

Move = tuple[int, int, int]  # (row, col, value), 1-indexed as the agent wrote them


def render_grid(grid: list[int], size: int) -> str:
    """The grid with 1-indexed row/column labels, boxes separated, ``.`` for empty cells."""
    side = box_size(size)
    groups = [" ".join(str(c + 1) for c in range(s, s + side)) for s in range(0, size, side)]
    header = "    " + "   ".join(groups)
    rule = "  +" + "+".join("-" * (2 * side + 1) for _ in range(side)) + "+"
    lines = [header, rule]
    for r in range(size):
        cells = [str(v) if v else "." for v in grid[r * size : (r + 1) * size]]
        boxes = [" ".join(cells[s : s + side]) for s in range(0, size, side)]
        lines.append(f"{r + 1:>2}| " + " | ".join(boxes) + " |")
        if (r + 1) % side == 0:
            lines.append(rule)
    return "\n".join(lines)


class Sudoku(TextEnv[Move]):
    r"""Fill the empty cells of a Sudoku grid that has exactly one solution.

    ## Description
    A ``size`` x ``size`` grid (9x9 with 3x3 boxes, or 4x4 with 2x2 boxes) has ``num_empty``
    empty cells. Every row, column and box must end up holding each digit ``1..size`` once. Each
    puzzle has exactly one solution, and a placement counts only if it matches that solution.

    ## Action Space
    Free text (:class:`~gem_gymnasium.spaces.TextSpace`). Only the last ``\boxed{...}`` counts and
    must hold three integers ``row column value``, 1-indexed, e.g. ``\boxed{3 7 5}`` puts 5 in
    row 3, column 7. Commas and ``R``/``C`` prefixes are accepted (``\boxed{R3 C7 5}``).

    * A row, column or value outside ``1..size``, a cell that is already filled (a given or an
      earlier placement), or a value already present in the cell's row, column or box is
      *invalid*: reward 0, the turn is used, the grid is unchanged, the feedback says which rule.
    * A value that breaks no rule yet but differs from the unique solution is a *wrong move*:
      reward 0, the cell stays empty, and the feedback says it is wrong (not that a rule broke).

    ## Observation Space
    Text. At reset: the rules, then the grid. After a step: the feedback, the grid, the empty
    cells and turns left, the wrong values already tried in still-empty cells, and the move format.

    ## Starting State
    A random solution grid and the order of removed cells are drawn from ``self.np_random``.
    With ``randomize=True`` (the ``Random`` preset) each reset first picks Easy (4x4, 10 empty,
    15 turns) or Hard (9x9, 47 empty, 50 turns) with equal probability.

    ## Rewards
    * ``1 / num_empty`` for each correct placement, so a completed grid totals 1.0;
    * 0.0 for an invalid or wrong move;
    * -0.1 for a format error (no ``\boxed{}`` holding three integers).
    The turn limit adds nothing.

    ## Episode End
    Termination: the grid is complete (success), a format error (unless
    ``end_on_format_error=False``) or the turn limit. Truncation: never by the environment itself.

    ## Information
    ``turn``, ``max_turns``, ``valid_action``, ``format_error``; at the end ``success`` and
    ``reason`` (``"won"``, ``"format_error"`` or ``"turn_limit"``).

    ## Arguments
    ```python
    gymnasium.make("gem/Sudoku-v0", size=9, num_empty=30, max_turns=100, randomize=False,
                   answer_format=None,
                   format_error_reward=-0.1, end_on_format_error=True, render_mode=None)
    ```
    ``answer_format``: where the move goes (:mod:`~gem_gymnasium.actions`); ``None`` is
    ``"boxed"``; ``"tool_call"`` takes calls of ``place(row, col, digit)``.
    ``size`` is 4 or 9. ``num_empty`` (GEM called it ``clues``) is the number of empty cells, at
    most 12 for 4x4 and 56 for 9x9. Presets: ``gem/Sudoku-Easy-v0`` (4x4, 10 empty, 15 turns),
    ``-Hard-v0`` (9x9, 47 empty, 50 turns), ``-Random-v0`` (``randomize=True``).

    ## Version History
    * v0: Initial version, GEM's reward scale; unique solutions; wrong-but-legal values are told
      apart from rule violations; generation in a few milliseconds.
    """

    move_tools = (
        MoveTool(
            "place",
            "Write a digit in an empty cell.",
            (
                Param("row", "integer", "Row, 1-indexed."),
                Param("col", "integer", "Column, 1-indexed."),
                Param("digit", "integer", "The digit to write."),
            ),
        ),
    )

    def __init__(
        self,
        size: int = 9,
        num_empty: int = 30,
        max_turns: int = 100,
        *,
        randomize: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(max_turns=max_turns, **kwargs)
        if size not in MAX_EMPTY:
            raise ValueError(f"Sudoku: size must be 4 or 9, got {size!r}")
        if not isinstance(num_empty, int) or not 1 <= num_empty <= MAX_EMPTY[size]:
            raise ValueError(
                f"Sudoku: num_empty for size {size} must be an int in 1..{MAX_EMPTY[size]}, "
                f"got {num_empty!r}"
            )
        self.size = size
        self.num_empty = num_empty
        self.randomize = randomize
        self.board: list[int] = []  # current grid, 0 = empty
        self.solution: list[int] = []
        self.givens: list[bool] = []
        self.wrong: list[tuple[int, int, int]] = []  # wrong (row, col, value) tries, 1-indexed

    def _new_episode(self, options: dict[str, Any] | None) -> None:
        if self.randomize:
            preset = RANDOM_PRESETS[int(self.np_random.integers(len(RANDOM_PRESETS)))]
            self.size, self.num_empty, self.max_turns = preset
        self.board, self.solution = make_puzzle(self.np_random, self.size, self.num_empty)
        self.givens = [v != 0 for v in self.board]
        self.wrong = []

    def rules(self) -> str:
        side = box_size(self.size)
        return (
            f"You are playing Sudoku on a {self.size}x{self.size} grid. Rows and columns are "
            f"numbered 1 to {self.size}; empty cells are shown as '.'. Fill every empty cell with "
            f"a digit from 1 to {self.size} so that each row, each column and each {side}x{side} "
            f"box contains every digit exactly once. The puzzle has exactly one solution; a "
            f"placement is accepted only if it matches it. You cannot change the given digits or "
            f"your earlier placements. You have {self.max_turns} turns.\n"
            f"Enter a move as \\boxed{{row column value}}, for example \\boxed{{1 2 {side}}} puts "
            f"{side} in row 1, column 2."
        )

    def describe_state(self) -> str:
        lines = ["Current grid:", render_grid(self.board, self.size)]
        if not self.done:
            lines.append(
                f"Empty cells: {self.board.count(0)}. Turns left: {self.max_turns - self.turn}."
            )
            tried = [
                f"R{r} C{c} is not {v}"
                for r, c, v in self.wrong
                if not self.board[(r - 1) * self.size + c - 1]
            ]
            if tried:
                lines.append("Wrong values tried so far: " + "; ".join(tried) + ".")
        return "\n".join(lines)

    def action_prompt(self) -> str:
        return r"Enter your move as \boxed{row column value}, for example \boxed{1 2 3}."

    def parse_move(self, content: str) -> Move | None:
        # "R3 C7 5" and "3, 7, 5" parse like "3 7 5".
        values = parse_ints(
            content.replace("R", " ").replace("r", " ").replace("C", " ").replace("c", " ")
        )
        if values is None or len(values) != 3:
            return None
        return values[0], values[1], values[2]

    def play(self, move: Move) -> Outcome:
        row, col, value = move
        n = self.size
        if not (1 <= row <= n and 1 <= col <= n):
            return Outcome(
                f"Invalid move: R{row} C{col} is outside the grid (rows and columns 1..{n}).",
                valid=False,
            )
        if not 1 <= value <= n:
            return Outcome(f"Invalid move: the value must be in 1..{n}, got {value}.", valid=False)
        cell = (row - 1) * n + col - 1
        if self.board[cell]:
            kind = "a given digit" if self.givens[cell] else "your earlier placement"
            return Outcome(
                f"Invalid move: R{row} C{col} already holds {self.board[cell]} ({kind}); "
                "only empty cells can be filled.",
                valid=False,
            )
        where = conflict(self.board, n, row - 1, col - 1, value)
        if where is not None:
            return Outcome(
                f"Invalid move: {value} at R{row} C{col} breaks the rules; {value} is already in "
                f"{where}.",
                valid=False,
            )
        if value != self.solution[cell]:
            if (row, col, value) not in self.wrong:
                self.wrong.append((row, col, value))
            return Outcome(
                f"Wrong: {value} at R{row} C{col} breaks no rule right now, but it is not the "
                "value of this puzzle's unique solution. The cell stays empty."
            )
        self.board[cell] = value
        reward = 1.0 / self.num_empty
        if 0 not in self.board:
            return Outcome(
                f"Correct: {value} at R{row} C{col}. The grid is complete!", reward=reward, won=True
            )
        return Outcome(f"Correct: {value} at R{row} C{col}.", reward=reward)

    def sample_random_action(self) -> str:
        rng = self.action_space.np_random
        empty = [i for i, v in enumerate(self.board) if not v]
        cell = int(rng.choice(empty)) if empty else int(rng.integers(self.size * self.size))
        value = int(rng.integers(1, self.size + 1))
        return f"\\boxed{{{cell // self.size + 1} {cell % self.size + 1} {value}}}"

    def draw(self) -> Any:
        """The grid; given digits on grey, the agent's digits on white."""
        from gem_gymnasium.rendering import grid_image

        n = self.size
        cells = [
            (str(v) if v else "", "given" if given else "empty")
            for v, given in zip(self.board, self.givens, strict=True)
        ]
        return grid_image(
            [cells[r * n : (r + 1) * n] for r in range(n)], caption=self.frame_caption()
        )
