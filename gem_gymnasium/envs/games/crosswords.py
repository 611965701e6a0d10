"""Crosswords: fill a small generated crossword, one letter at a time, from clues."""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from importlib.resources import files
from typing import Any, Literal

import numpy as np

from gem_gymnasium.actions import MoveTool, Param
from gem_gymnasium.core import Outcome, TextEnv
from gem_gymnasium.parsing import parse_int

Direction = Literal["across", "down"]
Cell = tuple[int, int]

BLOCK, EMPTY = "#", "_"
STEP: dict[str, Cell] = {"across": (0, 1), "down": (1, 0)}
OTHER: dict[str, Direction] = {"across": "down", "down": "across"}

#: ``(num_words, max_turns, hard)`` candidates of the Random preset: the Easy and Hard presets.
RANDOM_CHOICES = ((3, 30, False), (3, 40, True))
MAX_WORDS = 12


# --- clue data ---------------------------------------------------------------------------------


@functools.cache
def clue_pool(hard: bool) -> tuple[tuple[str, str], ...]:
    """``(ANSWER, clue)`` pairs of the shipped clue file, ``hard`` or normal, sorted."""
    text = files("gem_gymnasium").joinpath("data", "crossword_clues.json").read_text("utf-8")
    entries = json.loads(text)["hard" if hard else "normal"]
    return tuple((word.upper(), clue) for word, clue in sorted(entries.items()))


# --- layout ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Slot:
    """One answer in the grid: where it starts, which way it runs, and its clue."""

    answer: str
    row: int
    col: int
    direction: Direction
    clue: str

    def cells(self) -> list[Cell]:
        dr, dc = STEP[self.direction]
        return [(self.row + i * dr, self.col + i * dc) for i in range(len(self.answer))]


class _Layout:
    """A growing crossword on an unbounded plane; rows and columns may be negative."""

    def __init__(self) -> None:
        self.letters: dict[Cell, str] = {}
        self.directions: dict[Cell, set[str]] = {}
        self.slots: list[tuple[str, int, int, Direction]] = []

    def fits(self, word: str, row: int, col: int, direction: Direction) -> bool:
        """Whether ``word`` can go here, crossing at least one word and touching no other.

        New letters may not sit beside letters across the word's direction, and the cells just
        before and after the word must be empty, so every run of letters in the finished grid
        is exactly one answer.
        """
        dr, dc = STEP[direction]
        if (row - dr, col - dc) in self.letters:
            return False
        if (row + len(word) * dr, col + len(word) * dc) in self.letters:
            return False
        crossings = 0
        for i, letter in enumerate(word):
            cell = (row + i * dr, col + i * dc)
            existing = self.letters.get(cell)
            if existing is not None:
                if existing != letter or direction in self.directions[cell]:
                    return False
                crossings += 1
            elif (cell[0] + dc, cell[1] + dr) in self.letters or (
                cell[0] - dc,
                cell[1] - dr,
            ) in self.letters:
                return False
        return crossings > 0 or not self.letters

    def place(self, word: str, row: int, col: int, direction: Direction) -> None:
        dr, dc = STEP[direction]
        for i, letter in enumerate(word):
            cell = (row + i * dr, col + i * dc)
            self.letters[cell] = letter
            self.directions.setdefault(cell, set()).add(direction)
        self.slots.append((word, row, col, direction))

    def placements(self, word: str) -> list[tuple[int, int, Direction]]:
        """Every legal spot for ``word`` that crosses a letter already in the grid."""
        found = []
        for cell, letter in self.letters.items():
            taken = self.directions[cell]
            if len(taken) != 1:
                continue
            direction = OTHER[next(iter(taken))]
            dr, dc = STEP[direction]
            for i, c in enumerate(word):
                if c == letter:
                    row, col = cell[0] - i * dr, cell[1] - i * dc
                    if self.fits(word, row, col, direction):
                        found.append((row, col, direction))
        return found

    def area_with(self, word: str, row: int, col: int, direction: Direction) -> int:
        dr, dc = STEP[direction]
        rows = [r for r, _ in self.letters] + [row, row + (len(word) - 1) * dr]
        cols = [c for _, c in self.letters] + [col, col + (len(word) - 1) * dc]
        return (max(rows) - min(rows) + 1) * (max(cols) - min(cols) + 1)


def generate_crossword(
    pool: tuple[tuple[str, str], ...], num_words: int, rng: np.random.Generator
) -> list[Slot]:
    """A connected crossword of ``num_words`` answers from ``pool``, shifted to start at (0, 0).

    Words are tried in a random order; each new word crosses the grid where the bounding box
    stays smallest (ties broken at random), which keeps puzzles compact.
    """
    if not 1 <= num_words <= len(pool):
        raise ValueError(f"num_words must be in 1..{len(pool)}, got {num_words}")
    clues = dict(pool)
    for _ in range(100):  # a dead end (no word fits) is rare; start again from another word
        layout = _Layout()
        order = [pool[i][0] for i in rng.permutation(len(pool))]
        first = order.pop()
        layout.place(first, 0, 0, "across" if rng.random() < 0.5 else "down")
        while len(layout.slots) < num_words:
            for index, word in enumerate(order):
                spots = layout.placements(word)
                if spots:
                    areas = [layout.area_with(word, *spot) for spot in spots]
                    best = [s for s, a in zip(spots, areas, strict=True) if a == min(areas)]
                    layout.place(word, *best[int(rng.integers(len(best)))])
                    del order[index]
                    break
            else:
                break
        if len(layout.slots) == num_words:
            top = min(r for r, _ in layout.letters)
            left = min(c for _, c in layout.letters)
            slots = [Slot(w, r - top, c - left, d, clues[w]) for w, r, c, d in layout.slots]
            return sorted(slots, key=lambda s: (s.row, s.col, s.direction))
    raise RuntimeError(f"could not fit {num_words} crossing words from a pool of {len(pool)}")


def solution_grid(slots: list[Slot]) -> list[list[str | None]]:
    """The answer grid: a letter in every cell of a word, ``None`` in blocked cells."""
    height = max(cell[0] for s in slots for cell in s.cells()) + 1
    width = max(cell[1] for s in slots for cell in s.cells()) + 1
    grid: list[list[str | None]] = [[None] * width for _ in range(height)]
    for slot in slots:
        for (r, c), letter in zip(slot.cells(), slot.answer, strict=True):
            grid[r][c] = letter
    return grid


def format_grid(board: list[list[str]]) -> str:
    """The board with 0-indexed row and column numbers."""
    width = len(str(max(len(board), len(board[0])) - 1))
    header = " " * (width + 1) + " ".join(f"{c:>{width}}" for c in range(len(board[0])))
    rows = [
        f"{r:>{width}} " + " ".join(f"{cell:>{width}}" for cell in row)
        for r, row in enumerate(board)
    ]
    return "\n".join([header, *rows])


def parse_placement(content: str) -> tuple[int, int, str] | None:
    """``"2 3 E"`` (commas or brackets allowed) -> ``(2, 3, "E")``; anything else -> ``None``."""
    parts = content.translate(str.maketrans(",[]()", "     ")).split()
    if len(parts) != 3:
        return None
    row, col, letter = parse_int(parts[0]), parse_int(parts[1]), parts[2]
    if (
        row is None
        or col is None
        or len(letter) != 1
        or not (letter.isascii() and letter.isalpha())
    ):
        return None
    return row, col, letter.upper()


class Crosswords(TextEnv[tuple[int, int, str]]):
    r"""Fill a generated crossword of ``num_words`` answers, one letter per turn.

    ## Description
    Each episode builds a small crossword: answers drawn from the shipped clue file
    (``data/crossword_clues.json``, ``hard`` or normal words) cross each other on shared
    letters, and no two answers touch anywhere else, so every run of letters is one answer. The
    agent sees the grid (``_`` to fill, ``#`` blocked) and one clue per answer, with its
    direction, its length and its start cell.

    ## Action Space
    Free text (:class:`~gem_gymnasium.spaces.TextSpace`). Only the last ``\boxed{...}`` counts and
    must hold ``row col letter`` (0-indexed, as labelled on the grid), e.g. ``\boxed{0 2 E}``.
    Anything else in the box is a format error. A cell outside the grid, a blocked cell, a cell
    already filled, or a letter already found wrong in that cell is invalid: the turn is used and
    the observation says why.

    ## Observation Space
    Text. At reset: the rules, the grid and the clues. After a step: the feedback, the grid,
    the clues (solved ones marked), letters already found wrong per cell, the number of cells
    filled and the turns left.

    ## Starting State
    The answers and layout are drawn from ``self.np_random``. With ``randomize=True`` (the
    ``Random`` preset) the Easy (3 normal words, 30 turns) or Hard (3 hard words, 40 turns)
    configuration is re-drawn at every reset.

    ## Rewards
    * ``1 / letter cells`` for each correct letter, so a completed grid totals 1.0;
    * 0.0 for a wrong letter and for an invalid move;
    * -0.1 for a format error.

    ## Episode End
    Termination: the grid is complete (success), a format error (unless
    ``end_on_format_error=False``) or the turn limit (no extra reward). Truncation: never by the
    environment itself.

    ## Information
    ``turn``, ``max_turns``, ``valid_action``, ``format_error``; at the end ``success`` and ``reason``
    (``"won"``, ``"format_error"`` or ``"turn_limit"``).

    ## Arguments
    ```python
    gymnasium.make("gem/Crosswords-v0", num_words=5, max_turns=100, hard=False,
                   randomize=False, format_error_reward=-0.1, end_on_format_error=True,
                   answer_format=None, render_mode=None)
    ```
    ``answer_format``: where the move goes (:mod:`~gem_gymnasium.actions`); ``None`` is
    ``"boxed"``; ``"tool_call"`` takes calls of ``write(row, col, letter)``.
    Presets: ``gem/Crosswords-Easy-v0`` (3 words, 30 turns), ``-Hard-v0`` (3 hard words, 40
    turns), ``-Random-v0`` (``randomize=True``).

    ## Version History
    * v0: Initial version, GEM's reward scale; answers always cross, never touch side by side,
      and clues state direction, length and start cell.
    """

    move_tools = (
        MoveTool(
            "write",
            "Write a letter in a cell.",
            (
                Param("row", "integer", "Row, 0-indexed as labelled."),
                Param("col", "integer", "Column, 0-indexed as labelled."),
                Param("letter", "string", "One letter."),
            ),
        ),
    )

    def __init__(
        self,
        num_words: int = 5,
        max_turns: int = 100,
        *,
        hard: bool = False,
        randomize: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(max_turns=max_turns, **kwargs)
        if not isinstance(num_words, int) or not 1 <= num_words <= MAX_WORDS:
            raise ValueError(f"Crosswords: num_words must be in 1..{MAX_WORDS}, got {num_words!r}")
        self.num_words = num_words
        self.hard = bool(hard)
        self.randomize = bool(randomize)
        self.slots: list[Slot] = []
        self.solution: list[list[str | None]] = []
        self.board: list[list[str]] = []
        self.wrong: dict[Cell, list[str]] = {}  # letters found wrong, per cell
        self.letter_cells = 0

    def _new_episode(self, options: dict[str, Any] | None) -> None:
        rng = self.np_random
        if self.randomize:
            choice = RANDOM_CHOICES[int(rng.integers(len(RANDOM_CHOICES)))]
            self.num_words, self.max_turns, self.hard = choice
        self.slots = generate_crossword(clue_pool(self.hard), self.num_words, rng)
        self.solution = solution_grid(self.slots)
        self.board = [[BLOCK if s is None else EMPTY for s in row] for row in self.solution]
        self.wrong = {}
        self.letter_cells = sum(s is not None for row in self.solution for s in row)

    def rules(self) -> str:
        rows, cols = len(self.board), len(self.board[0])
        return (
            f"You are playing Crosswords. Fill the {rows}x{cols} grid below with the answers "
            f"to the {len(self.slots)} clues, one letter per turn, within {self.max_turns} turns.\n"
            f"'{EMPTY}' is a cell to fill, '{BLOCK}' is a blocked cell. Rows and columns are "
            "numbered from 0. Each clue gives the answer's direction (across: left to right, "
            "down: top to bottom), its start cell and its length. Answers cross on shared "
            "letters.\n"
            "To write a letter, enter \\boxed{row col letter}; for example \\boxed{0 2 E} puts E "
            "in row 0, column 2."
        )

    def describe_state(self) -> str:
        filled = sum(cell not in (BLOCK, EMPTY) for row in self.board for cell in row)
        lines = ["Grid:", format_grid(self.board), "", "Clues:"]
        for i, slot in enumerate(self.slots, 1):
            solved = all(self.board[r][c] != EMPTY for r, c in slot.cells())
            lines.append(
                f"{i}. {slot.direction.capitalize()}, starting at row {slot.row}, column "
                f"{slot.col}, {len(slot.answer)} letters: {slot.clue}"
                + (" (solved)" if solved else "")
            )
        if self.wrong:
            tried = "; ".join(
                f"row {r} column {c}: {', '.join(letters)}"
                for (r, c), letters in sorted(self.wrong.items())
            )
            lines.append(f"Wrong letters tried: {tried}")
        lines.append(f"Cells filled: {filled}/{self.letter_cells}")
        if not self.done:
            lines.append(f"Turns left: {self.max_turns - self.turn}")
        return "\n".join(lines)

    def action_prompt(self) -> str:
        return r"Enter \boxed{row col letter}, for example \boxed{0 2 E}."

    def parse_move(self, content: str) -> tuple[int, int, str] | None:
        return parse_placement(content)

    def play(self, move: tuple[int, int, str]) -> Outcome | str:
        row, col, letter = move
        if not (0 <= row < len(self.board) and 0 <= col < len(self.board[0])):
            return Outcome(
                f"Invalid move: row {row}, column {col} is outside the "
                f"{len(self.board)}x{len(self.board[0])} grid.",
                valid=False,
            )
        cell = self.board[row][col]
        if cell == BLOCK:
            return Outcome(f"Invalid move: row {row}, column {col} is blocked.", valid=False)
        if cell != EMPTY:
            return Outcome(
                f"Invalid move: row {row}, column {col} is already filled with {cell}.",
                valid=False,
            )
        if letter in self.wrong.get((row, col), []):
            return Outcome(
                f"Invalid move: you already found that {letter} is wrong at row {row}, "
                f"column {col}.",
                valid=False,
            )
        if letter != self.solution[row][col]:
            self.wrong.setdefault((row, col), []).append(letter)
            return f"{letter} is not the right letter for row {row}, column {col}."
        self.board[row][col] = letter
        self.wrong.pop((row, col), None)
        reward = 1.0 / self.letter_cells
        if all(cell != EMPTY for row_cells in self.board for cell in row_cells):
            return Outcome(f"Correct: {letter}. The crossword is complete!", reward, won=True)
        return Outcome(f"Correct: {letter} at row {row}, column {col}.", reward)

    def sample_random_action(self) -> str:
        rng = self.action_space.np_random
        empty = [
            (r, c)
            for r, row in enumerate(self.board)
            for c, cell in enumerate(row)
            if cell == EMPTY
        ] or [(0, 0)]
        r, c = empty[int(rng.integers(len(empty)))]
        letter = chr(ord("A") + int(rng.integers(26)))
        return f"\\boxed{{{r} {c} {letter}}}"

    def draw(self) -> Any:
        """The grid: blocks dark, empty cells white, the agent's letters in place."""
        from gem_gymnasium.rendering import grid_image

        rows = [
            [
                ("", "wall") if cell == BLOCK else ("" if cell == EMPTY else cell, "empty")
                for cell in row
            ]
            for row in self.board
        ]
        return grid_image(rows, caption=self.frame_caption(), labels=True, cell_size=30)
