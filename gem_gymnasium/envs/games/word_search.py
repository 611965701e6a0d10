"""WordSearch: find hidden words in a grid of letters by naming their first and last cells."""

from __future__ import annotations

import functools
import string
from typing import Any

import numpy as np

from gem_gymnasium.actions import MoveTool, Param
from gem_gymnasium.core import Outcome, TextEnv
from gem_gymnasium.envs.games.word_data import puzzle_words
from gem_gymnasium.parsing import parse_ints

Cell = tuple[int, int]
Segment = tuple[int, int, int, int]  # r1, c1, r2, c2

#: Lengths of the hidden words.
MIN_LENGTH, MAX_LENGTH = 4, 8
MAX_WORDS = 10


@functools.cache
def candidate_words(hard: bool) -> tuple[str, ...]:
    """Hidden-word candidates: common (or, with ``hard``, rarer) words of 4..8 letters."""
    pool = puzzle_words("rarer" if hard else "common")
    return tuple(w.upper() for w in pool if MIN_LENGTH <= len(w) <= MAX_LENGTH)


def choose_words(pool: tuple[str, ...], count: int, rng: np.random.Generator) -> list[str]:
    """``count`` distinct words of which none contains another (forwards or backwards)."""
    chosen: list[str] = []
    for index in rng.permutation(len(pool)):
        word = pool[index]
        if any(word in w or w in word or word[::-1] in w for w in chosen):
            continue
        chosen.append(word)
        if len(chosen) == count:
            return chosen
    raise ValueError(f"cannot choose {count} unrelated words from {len(pool)}")


def place_words(
    words: list[str], size: int, rng: np.random.Generator, tries: int = 200
) -> dict[str, tuple[int, int, str]] | None:
    """Place each word across or down on a ``size`` x ``size`` grid; words may share letters.

    Returns ``{word: (row, col, "across" | "down")}`` or ``None`` if some word found no spot in
    ``tries`` random attempts (the caller then grows the grid).
    """
    letters: dict[Cell, str] = {}
    placed: dict[str, tuple[int, int, str]] = {}
    for word in sorted(words, key=len, reverse=True):
        for _ in range(tries):
            across = rng.random() < 0.5
            span = size - len(word) + 1
            row = int(rng.integers(size if across else span))
            col = int(rng.integers(span if across else size))
            cells = [(row, col + i) if across else (row + i, col) for i in range(len(word))]
            if all(
                letters.get(cell, letter) == letter
                for cell, letter in zip(cells, word, strict=True)
            ):
                letters.update(zip(cells, word, strict=True))
                placed[word] = (row, col, "across" if across else "down")
                break
        else:
            return None
    return placed


def build_grid(
    placed: dict[str, tuple[int, int, str]], size: int, rng: np.random.Generator
) -> list[str]:
    """Rows of the grid: the placed words, every other cell a random capital letter."""
    filler = rng.integers(26, size=(size, size))
    grid = [[string.ascii_uppercase[int(x)] for x in row] for row in filler]
    for word, (row, col, direction) in placed.items():
        for i, letter in enumerate(word):
            r, c = (row, col + i) if direction == "across" else (row + i, col)
            grid[r][c] = letter
    return ["".join(row) for row in grid]


def segment_cells(segment: Segment) -> list[Cell]:
    """Cells from the first to the last cell of a straight (across or down) segment."""
    r1, c1, r2, c2 = segment
    if r1 == r2:
        step = 1 if c2 >= c1 else -1
        return [(r1, c) for c in range(c1, c2 + step, step)]
    step = 1 if r2 >= r1 else -1
    return [(r, c1) for r in range(r1, r2 + step, step)]


def read_segment(grid: list[str], segment: Segment) -> str:
    """The letters along a segment, in the order given."""
    return "".join(grid[r][c] for r, c in segment_cells(segment))


def undirected(segment: Segment) -> Segment:
    """The same segment with its endpoints in a fixed order, so a reversed repeat matches."""
    r1, c1, r2, c2 = segment
    return segment if (r1, c1) <= (r2, c2) else (r2, c2, r1, c1)


class WordSearch(TextEnv[Segment]):
    r"""Find ``num_words`` words hidden across or down in a square grid of letters.

    ## Description
    Each episode hides common English words (rarer ones with ``hard=True``) of 4 to 8 letters
    in a grid, each written across (left to right) or down (top to bottom); words may share a
    letter where they cross, and every other cell is a random letter. The agent marks a word by
    naming the cells of its first and last letters; naming them the other way round counts too.

    ## Action Space
    Free text (:class:`~gem_gymnasium.spaces.TextSpace`). Only the last ``\boxed{...}`` counts and
    must hold four integers ``r1 c1 r2 c2`` (0-indexed, as labelled on the grid), e.g.
    ``\boxed{2 0 2 4}`` for row 2, columns 0 to 4. Anything else in the box is a format error.
    A cell outside the grid, a diagonal line, a word already found (in either direction) or a
    line already tried is invalid: the turn is used and the observation says why.

    ## Observation Space
    Text. At reset: the rules and the grid. After a step: the feedback, the grid with found words
    in brackets, the words found, how many remain (with ``show_words=True``, which ones), the
    lines already tried without success and the turns left.

    ## Starting State
    Words, placements and filler letters are drawn from ``self.np_random``. The grid side is
    ``round(1.5 * longest word)`` (at least 6), grown by one when the words do not fit. With
    ``randomize=True`` (the ``Random`` preset) ``hard`` is re-drawn at every reset.

    ## Rewards
    * ``1 / num_words`` for each word found the first time, so finding all totals 1.0;
    * 0.0 for a line that is not a hidden word and for an invalid move;
    * -0.1 for a format error.

    ## Episode End
    Termination: every word found (success), a format error (unless
    ``end_on_format_error=False``) or the turn limit (no extra reward). Truncation: never by the
    environment itself.

    ## Information
    ``turn``, ``max_turns``, ``valid_action``, ``format_error``; at the end ``success`` and ``reason``
    (``"won"``, ``"format_error"`` or ``"turn_limit"``).

    ## Arguments
    ```python
    gymnasium.make("gem/WordSearch-v0", num_words=5, max_turns=20, show_words=False, hard=False,
                   randomize=False, format_error_reward=-0.1, end_on_format_error=True,
                   answer_format=None, render_mode=None)
    ```
    ``answer_format``: where the move goes (:mod:`~gem_gymnasium.actions`); ``None`` is
    ``"boxed"``; ``"tool_call"`` takes calls of ``mark(start_row, start_col, end_row, end_col)``.
    ``num_words`` may be 1..10. Presets: ``gem/WordSearch-Easy-v0`` (``show_words=True``),
    ``-Hard-v0`` (``hard=True``: rarer words), ``-Random-v0`` (``randomize=True``); all with 5 words
    and 20 turns.

    ## Version History
    * v0: Initial version, GEM's reward scale; a word found again with reversed coordinates is
      invalid instead of paying twice.
    """

    move_tools = (
        MoveTool(
            "mark",
            "Mark a word by its first and last cells.",
            (
                Param("start_row", "integer", "Row of the first letter, 0-indexed."),
                Param("start_col", "integer", "Column of the first letter, 0-indexed."),
                Param("end_row", "integer", "Row of the last letter, 0-indexed."),
                Param("end_col", "integer", "Column of the last letter, 0-indexed."),
            ),
        ),
    )

    def __init__(
        self,
        num_words: int = 5,
        max_turns: int = 20,
        *,
        show_words: bool = False,
        hard: bool = False,
        randomize: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(max_turns=max_turns, **kwargs)
        if not isinstance(num_words, int) or not 1 <= num_words <= MAX_WORDS:
            raise ValueError(f"WordSearch: num_words must be in 1..{MAX_WORDS}, got {num_words!r}")
        self.num_words = num_words
        self.show_words = bool(show_words)
        self.hard = bool(hard)
        self.randomize = bool(randomize)
        self.grid: list[str] = []
        self.words: list[str] = []  # hidden words, in placement order
        self.placements: dict[str, tuple[int, int, str]] = {}
        self.found: dict[str, Segment] = {}  # word -> the segment that found it
        self.misses: list[Segment] = []  # undirected segments tried without success

    def _new_episode(self, options: dict[str, Any] | None) -> None:
        rng = self.np_random
        if self.randomize:
            self.hard = bool(rng.random() < 0.5)
        self.words = choose_words(candidate_words(self.hard), self.num_words, rng)
        size = max(round(1.5 * max(map(len, self.words))), 6)
        placed = place_words(self.words, size, rng)
        while placed is None:
            size += 1
            placed = place_words(self.words, size, rng)
        self.placements = placed
        self.grid = build_grid(placed, size, rng)
        self.found = {}
        self.misses = []

    def rules(self) -> str:
        size = len(self.grid)
        kind = "rarer" if self.hard else "common"
        return (
            f"You are playing Word Search. {self.num_words} {kind} English words of "
            f"{MIN_LENGTH} to {MAX_LENGTH} letters are hidden in the {size}x{size} grid below, "
            "each written across (left to right) or down (top to bottom); other cells hold random "
            f"letters. Find them all within {self.max_turns} turns.\n"
            "Rows and columns are numbered from 0. Mark a word by its first and last cells as "
            "\\boxed{r1 c1 r2 c2}: for example \\boxed{2 0 2 4} marks row 2 from column 0 to "
            "column 4, and \\boxed{1 3 6 3} marks column 3 from row 1 to row 6. Found words are "
            "shown in [brackets]. Do not repeat a line you already tried."
        )

    def describe_state(self) -> str:
        found_cells = {cell for seg in self.found.values() for cell in segment_cells(seg)}
        width = len(str(len(self.grid) - 1))
        # Three characters per cell: the letter in the middle, brackets once its word is found.
        header = " " * (width + 1) + "".join(f"{c:>2} " for c in range(len(self.grid)))
        lines = ["Grid:", header.rstrip()]
        for r, row in enumerate(self.grid):
            cells = "".join(
                f"[{letter}]" if (r, c) in found_cells else f" {letter} "
                for c, letter in enumerate(row)
            )
            lines.append(f"{r:>{width}} {cells}".rstrip())
        lines.append("")
        found = ", ".join(self.found) if self.found else "none yet"
        lines.append(f"Words found ({len(self.found)}/{self.num_words}): {found}")
        remaining = [w for w in self.words if w not in self.found]
        if self.show_words and remaining:
            lines.append(f"Words remaining ({len(remaining)}): {', '.join(sorted(remaining))}")
        else:
            lines.append(f"Words remaining: {len(remaining)}")
        if self.misses:
            tried = ", ".join(" ".join(map(str, seg)) for seg in self.misses)
            lines.append(f"Lines tried without a word: {tried}")
        if not self.done:
            lines.append(f"Turns left: {self.max_turns - self.turn}")
        return "\n".join(lines)

    def action_prompt(self) -> str:
        return r"Enter the first and last cells of a word as \boxed{r1 c1 r2 c2}."

    def parse_move(self, content: str) -> Segment | None:
        numbers = parse_ints(content.translate(str.maketrans("[]()", "    ")))
        if numbers is None or len(numbers) != 4:
            return None
        return numbers[0], numbers[1], numbers[2], numbers[3]

    def play(self, segment: Segment) -> Outcome | str:
        r1, c1, r2, c2 = segment
        size = len(self.grid)
        shown = f"({r1}, {c1}) to ({r2}, {c2})"
        if not all(0 <= x < size for x in segment):
            return Outcome(
                f"Invalid move: {shown} leaves the grid (rows and columns are 0..{size - 1}).",
                valid=False,
            )
        if r1 != r2 and c1 != c2:
            return Outcome(
                f"Invalid move: {shown} is diagonal; words run across or down.", valid=False
            )
        text = read_segment(self.grid, segment)
        for word in (text, text[::-1]):
            if word in self.found:
                return Outcome(f"Invalid move: you already found {word}.", valid=False)
        if undirected(segment) in self.misses:
            return Outcome(f"Invalid move: you already tried {shown}.", valid=False)
        word = next((w for w in (text, text[::-1]) if w in self.words), None)
        if word is None:
            self.misses.append(undirected(segment))
            return f"No hidden word at {shown} (it reads {text})."
        self.found[word] = segment
        reward = 1.0 / self.num_words
        if len(self.found) == self.num_words:
            return Outcome(f"You found {word}, the last word!", reward, won=True)
        return Outcome(f"You found {word}!", reward)

    def sample_random_action(self) -> str:
        rng = self.action_space.np_random
        size = max(len(self.grid), 2)
        length = int(rng.integers(2, size + 1))
        fixed, start = int(rng.integers(size)), int(rng.integers(size - length + 1))
        if rng.random() < 0.5:
            return f"\\boxed{{{fixed} {start} {fixed} {start + length - 1}}}"
        return f"\\boxed{{{start} {fixed} {start + length - 1} {fixed}}}"

    def draw(self) -> Any:
        """The letter grid; letters of found words are green."""
        from gem_gymnasium.rendering import grid_image

        found = {cell for seg in self.found.values() for cell in segment_cells(seg)}
        rows = [
            [(letter, "green" if (r, c) in found else "empty") for c, letter in enumerate(row)]
            for r, row in enumerate(self.grid)
        ]
        return grid_image(rows, caption=self.frame_caption(), labels=True, cell_size=28)
