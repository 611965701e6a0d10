"""Minesweeper: reveal every safe cell of a minefield without touching a mine."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator, Sequence
from typing import Any, Literal

from gem_gymnasium.actions import MoveTool, Param
from gem_gymnasium.core import Outcome, TextEnv
from gem_gymnasium.parsing import parse_int

Verb = Literal["reveal", "flag"]
Move = tuple[Verb, int, int]
Cell = tuple[int, int]

_VERBS: dict[str, Verb] = {"reveal": "reveal", "flag": "flag"}


_CELL_PARAMS = (
    Param("row", "integer", "Row, 0-indexed."),
    Param("col", "integer", "Column, 0-indexed."),
)


def neighbours(row: int, col: int, rows: int, cols: int) -> Iterator[Cell]:
    """The up to eight cells around ``(row, col)`` inside a ``rows x cols`` board."""
    for r in range(max(row - 1, 0), min(row + 2, rows)):
        for c in range(max(col - 1, 0), min(col + 2, cols)):
            if (r, c) != (row, col):
                yield r, c


def place_mines(
    order: Sequence[int], rows: int, cols: int, num_mines: int, safe: Cell
) -> list[list[bool]]:
    """Mines on the first ``num_mines`` cells of ``order`` outside the 3x3 block around ``safe``.

    ``order`` is a random permutation of the flat cell indices drawn at reset, so the layout is
    uniform over the layouts that keep the first revealed cell and its neighbours clear.
    """
    mines = [[False] * cols for _ in range(rows)]
    placed = 0
    for index in order:
        if placed == num_mines:
            break
        r, c = divmod(int(index), cols)
        if abs(r - safe[0]) > 1 or abs(c - safe[1]) > 1:
            mines[r][c] = True
            placed += 1
    return mines


def count_adjacent(mines: Sequence[Sequence[bool]]) -> list[list[int]]:
    """For every cell, how many of its neighbours hold a mine."""
    rows, cols = len(mines), len(mines[0])
    counts = [[0] * cols for _ in range(rows)]
    # Spread from the few mines rather than scan eight neighbours of every cell.
    for r in range(rows):
        for c in range(cols):
            if mines[r][c]:
                for nr, nc in neighbours(r, c, rows, cols):
                    counts[nr][nc] += 1
    return counts


def flood_reveal(
    counts: Sequence[Sequence[int]],
    revealed: list[list[bool]],
    flagged: Sequence[Sequence[bool]],
    start: Cell,
) -> int:
    """Reveal the safe cell ``start`` and, through cells with no adjacent mine, its surroundings.

    Flagged cells are left alone. Updates ``revealed`` in place and returns how many cells it
    revealed (0 if ``start`` was already revealed).
    """
    rows, cols = len(counts), len(counts[0])
    if revealed[start[0]][start[1]]:
        return 0
    revealed[start[0]][start[1]] = True
    newly = 1
    queue = deque([start])
    while queue:
        r, c = queue.popleft()
        if counts[r][c] != 0:
            continue
        for nr, nc in neighbours(r, c, rows, cols):
            if not revealed[nr][nc] and not flagged[nr][nc]:
                revealed[nr][nc] = True
                newly += 1
                queue.append((nr, nc))
    return newly


def parse_command(content: str) -> Move | None:
    """``"reveal 3 2"`` / ``"Flag (3, 2)"`` -> ``("reveal", 3, 2)``; anything else -> ``None``.

    >>> parse_command("reveal 3 2"), parse_command(" FLAG (0, 4) ")
    (('reveal', 3, 2), ('flag', 0, 4))
    >>> parse_command("dig 3 2") is None
    True
    """
    parts = content.lower().replace(",", " ").replace("(", " ").replace(")", " ").split()
    if len(parts) != 3 or parts[0] not in _VERBS:
        return None
    row, col = parse_int(parts[1]), parse_int(parts[2])
    if row is None or col is None:
        return None
    return _VERBS[parts[0]], row, col


def render_board(
    counts: Sequence[Sequence[int]],
    revealed: Sequence[Sequence[bool]],
    flagged: Sequence[Sequence[bool]],
    mines: Sequence[Sequence[bool]] | None = None,
) -> str:
    """The board with row and column numbers; ``mines`` (shown as ``*``) only once the game is over.

    ``.`` is a hidden cell, ``F`` a flag, a digit the number of adjacent mines (``0`` for none).
    """
    cols = len(counts[0])
    width = len(str(max(len(counts), cols) - 1))
    lines = [" " * width + "  " + " ".join(str(c).rjust(width) for c in range(cols))]
    for r, row in enumerate(counts):
        cells = []
        for c, count in enumerate(row):
            if mines is not None and mines[r][c]:
                cell = "*"
            elif revealed[r][c]:
                cell = str(count)
            elif flagged[r][c]:
                cell = "F"
            else:
                cell = "."
            cells.append(cell.rjust(width))
        lines.append(f"{str(r).rjust(width)}  " + " ".join(cells))
    return "\n".join(lines)


class Minesweeper(TextEnv[Move]):
    r"""Reveal every safe cell of a ``rows x cols`` minefield holding ``num_mines`` mines.

    ## Description
    The board starts hidden. Revealing a cell shows how many of its eight neighbours hold a mine;
    a cell with no adjacent mine also reveals its neighbours, and so on (flood fill). The mines are
    laid at the first reveal, never on that cell or its neighbours, so the first reveal always
    opens an area. Flags mark suspected mines; they are optional and flagging a flagged cell
    removes the flag. The game is won as soon as every safe cell is revealed.

    ## Action Space
    Free text (:class:`~gem_gymnasium.spaces.TextSpace`). Only the last ``\boxed{...}`` counts and
    must hold ``reveal ROW COL`` or ``flag ROW COL`` with 0-indexed coordinates, e.g.
    ``\boxed{reveal 3 2}``. A cell off the board, revealing a revealed or flagged cell, or flagging
    a revealed cell is invalid (the turn is used).

    ## Observation Space
    Text. At reset: the rules and the hidden board. After a step: the feedback, the board with row
    and column numbers (``.`` hidden, ``F`` flag, digits for revealed cells, ``*`` mines once the
    game is over), the mines, flags and hidden safe cells left, and the turns left.

    ## Starting State
    A random order of the cells is drawn from ``self.np_random`` at reset; the first reveal lays
    the mines on the first ``num_mines`` cells of that order outside its 3x3 block. With
    ``randomize=True`` (the ``Random`` preset) every reset draws ``n`` in 5..8 and plays an
    ``n x n`` board with ``n*n // 5`` mines and ``n*n`` turns.

    ## Rewards
    * a reveal pays the number of cells it revealed divided by the number of safe cells (so
      clearing the board totals 1.0);
    * 0.0 for revealing a mine (the game is lost), for flags and for invalid moves;
    * -0.1 for a format error (no ``reveal``/``flag`` command in a ``\boxed{}``).

    ## Episode End
    Termination: every safe cell revealed (won), a mine revealed (lost, reason ``"mine"``), a
    format error (unless ``end_on_format_error=False``) or the turn limit (no extra reward).
    Truncation: never by the environment itself.

    ## Information
    ``turn``, ``max_turns``, ``valid_action``, ``format_error``; at the end ``success`` and ``reason``
    (``"won"``, ``"mine"``, ``"format_error"`` or ``"turn_limit"``).

    ## Arguments
    ```python
    gymnasium.make("gem/Minesweeper-v0", rows=8, cols=8, num_mines=10, max_turns=20,
                   randomize=False, format_error_reward=-0.1, end_on_format_error=True,
                   answer_format=None, render_mode=None)
    ```
    ``answer_format``: where the move goes (:mod:`~gem_gymnasium.actions`); ``None`` is
    ``"boxed"``; ``"tool_call"`` takes calls of ``reveal(row, col)`` and ``flag(row, col)``.
    ``num_mines`` may be at most ``rows * cols - 9`` so the first reveal's block always fits.
    Presets: ``gem/Minesweeper-Easy-v0`` (5x5, 5 mines, 25 turns), ``-Hard-v0`` (8x8, 12 mines,
    64 turns), ``-Random-v0`` (``randomize=True``).

    ## Version History
    * v0: Initial version, GEM's reward scale; the game is won when every safe cell is revealed,
      whether or not the mines are flagged.
    """

    move_tools = (
        MoveTool("reveal", "Reveal a cell.", _CELL_PARAMS, "reveal {row} {col}"),
        MoveTool("flag", "Flag (or unflag) a cell as a mine.", _CELL_PARAMS, "flag {row} {col}"),
    )

    def __init__(
        self,
        rows: int = 8,
        cols: int = 8,
        num_mines: int = 10,
        max_turns: int = 20,
        *,
        randomize: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(max_turns=max_turns, **kwargs)
        if rows < 1 or cols < 1:
            raise ValueError(f"Minesweeper: rows and cols must be >= 1, got {rows}x{cols}")
        if not 0 <= num_mines <= max(rows * cols - 9, 0):
            raise ValueError(
                f"Minesweeper: num_mines must be in 0..rows*cols-9 = {max(rows * cols - 9, 0)}, "
                f"got {num_mines}"
            )
        self.rows = rows
        self.cols = cols
        self.num_mines = num_mines
        self.randomize = randomize
        self._new_board()

    def _new_board(self) -> None:
        rows, cols = self.rows, self.cols
        self.cell_order: list[int] = list(range(rows * cols))
        self.mines: list[list[bool]] | None = None  # laid at the first reveal
        self.counts: list[list[int]] = [[0] * cols for _ in range(rows)]
        self.revealed: list[list[bool]] = [[False] * cols for _ in range(rows)]
        self.flagged: list[list[bool]] = [[False] * cols for _ in range(rows)]
        self.hidden_safe = rows * cols - self.num_mines

    @property
    def num_safe(self) -> int:
        """Cells without a mine: the reveal rewards' denominator."""
        return self.rows * self.cols - self.num_mines

    def _new_episode(self, options: dict[str, Any] | None) -> None:
        rng = self.np_random
        if self.randomize:
            n = int(rng.integers(5, 9))
            self.rows = self.cols = n
            self.num_mines = n * n // 5
            self.max_turns = n * n
        self._new_board()
        self.cell_order = rng.permutation(self.rows * self.cols).tolist()

    def rules(self) -> str:
        return (
            f"You are playing Minesweeper on a {self.rows}x{self.cols} board hiding "
            f"{self.num_mines} mines. Reveal every cell that has no mine, within "
            f"{self.max_turns} moves.\n"
            "A revealed cell shows how many of its 8 neighbours hold a mine; revealing a cell with "
            "no neighbouring mine also reveals its neighbours. Your first reveal is always safe "
            "and opens an area. Revealing a mine loses the game.\n"
            "Moves: \\boxed{reveal ROW COL} reveals a cell, \\boxed{flag ROW COL} marks a "
            "suspected mine (or removes that mark). Rows and columns count from 0. Flags are "
            "optional: the game is won as soon as every safe cell is revealed.\n"
            "Board legend: '.' hidden, 'F' flagged, a digit = revealed cell with that many "
            "neighbouring mines."
        )

    def describe_state(self) -> str:
        # Once the game is over the mines are no secret; show them.
        board = render_board(
            self.counts, self.revealed, self.flagged, self.mines if self.done else None
        )
        flags = sum(map(sum, self.flagged))
        status = (
            f"Mines: {self.num_mines}. Flags placed: {flags}. "
            f"Safe cells still hidden: {self.hidden_safe}."
        )
        if not self.done:
            status += f" Moves left: {self.max_turns - self.turn}."
        return f"{board}\n{status}"

    def action_prompt(self) -> str:
        return r"Enter your move as \boxed{reveal ROW COL} or \boxed{flag ROW COL}."

    def parse_move(self, content: str) -> Move | None:
        return parse_command(content)

    def play(self, move: Move) -> Outcome | str:
        verb, r, c = move
        if not (0 <= r < self.rows and 0 <= c < self.cols):
            return Outcome(
                f"Invalid move: ({r}, {c}) is off the board (rows 0..{self.rows - 1}, "
                f"columns 0..{self.cols - 1}).",
                valid=False,
            )
        if self.revealed[r][c]:
            return Outcome(f"Invalid move: cell ({r}, {c}) is already revealed.", valid=False)
        if verb == "flag":
            self.flagged[r][c] = not self.flagged[r][c]
            done = "Placed a flag on" if self.flagged[r][c] else "Removed the flag from"
            return f"{done} cell ({r}, {c})."
        if self.flagged[r][c]:
            return Outcome(
                f"Invalid move: cell ({r}, {c}) is flagged; remove the flag first "
                f"with \\boxed{{flag {r} {c}}}.",
                valid=False,
            )
        if self.mines is None:
            self.mines = place_mines(self.cell_order, self.rows, self.cols, self.num_mines, (r, c))
            self.counts = count_adjacent(self.mines)
        if self.mines[r][c]:
            return Outcome(f"Boom! Cell ({r}, {c}) was a mine.", lost=True, reason="mine")
        newly = flood_reveal(self.counts, self.revealed, self.flagged, (r, c))
        self.hidden_safe -= newly
        reward = newly / self.num_safe
        if self.hidden_safe == 0:
            return Outcome(
                f"Revealed {newly} cell(s): every safe cell is revealed.", reward=reward, won=True
            )
        return Outcome(f"Revealed {newly} cell(s) from ({r}, {c}).", reward=reward)

    def sample_random_action(self) -> str:
        rng = self.action_space.np_random
        hidden = [
            (r, c, self.flagged[r][c])
            for r in range(self.rows)
            for c in range(self.cols)
            if not self.revealed[r][c]
        ]
        if not hidden:
            return "\\boxed{reveal 0 0}"
        r, c, flagged = hidden[int(rng.integers(len(hidden)))]
        verb = "flag" if flagged or rng.random() < 0.1 else "reveal"
        return f"\\boxed{{{verb} {r} {c}}}"

    def draw(self) -> Any:
        """The board: hidden cells grey, flags orange, counts on revealed cells, mines at the end."""
        from gem_gymnasium.rendering import grid_image

        show_mines = self.done and self.mines is not None
        rows = []
        for r, counts in enumerate(self.counts):
            row = []
            for c, count in enumerate(counts):
                if show_mines and self.mines[r][c]:
                    row.append(("*", "red"))
                elif self.revealed[r][c]:
                    row.append((str(count) if count else "", "empty"))
                else:
                    row.append(("F", "orange") if self.flagged[r][c] else ("", "hidden"))
            rows.append(row)
        return grid_image(rows, caption=self.frame_caption(), labels=True, cell_size=30)
