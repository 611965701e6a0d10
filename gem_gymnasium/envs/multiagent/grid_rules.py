"""Pure rules of the k-in-a-row grid games (TicTacToe, ConnectFour): no Gymnasium, no PettingZoo.

A board is a list of rows, each a list of cells holding ``EMPTY``, ``"X"`` or ``"O"``; row 0 is
the top row.
"""

from __future__ import annotations

__all__ = [
    "EMPTY",
    "drop_row",
    "empty_board",
    "is_full",
    "open_columns",
    "winner",
    "winning_cells",
]

EMPTY = "."
_DIRECTIONS = ((0, 1), (1, 0), (1, 1), (1, -1))


def empty_board(rows: int, cols: int) -> list[list[str]]:
    """A board of ``rows`` x ``cols`` empty cells."""
    return [[EMPTY] * cols for _ in range(rows)]


def winner(board: list[list[str]], k: int) -> str | None:
    """The mark with ``k`` in a row (horizontal, vertical or diagonal), or ``None``."""
    rows, cols = len(board), len(board[0])
    for r in range(rows):
        for c in range(cols):
            mark = board[r][c]
            if mark == EMPTY:
                continue
            for dr, dc in _DIRECTIONS:
                end_r, end_c = r + dr * (k - 1), c + dc * (k - 1)
                if not (0 <= end_r < rows and 0 <= end_c < cols):
                    continue
                if all(board[r + dr * i][c + dc * i] == mark for i in range(1, k)):
                    return mark
    return None


def winning_cells(board: list[list[str]], mark: str, k: int) -> list[tuple[int, int]]:
    """Empty cells where placing ``mark`` would complete ``k`` in a row (ignores gravity)."""
    found = []
    for r, row in enumerate(board):
        for c, cell in enumerate(row):
            if cell != EMPTY:
                continue
            row[c] = mark
            if winner(board, k) == mark:
                found.append((r, c))
            row[c] = EMPTY
    return found


def is_full(board: list[list[str]]) -> bool:
    """Whether no empty cell is left."""
    return all(cell != EMPTY for row in board for cell in row)


def drop_row(board: list[list[str]], col: int) -> int | None:
    """The row a piece dropped in column ``col`` lands on, or ``None`` if the column is full."""
    for r in range(len(board) - 1, -1, -1):
        if board[r][col] == EMPTY:
            return r
    return None


def open_columns(board: list[list[str]]) -> list[int]:
    """Columns (0-based) that still take a piece."""
    return [c for c in range(len(board[0])) if board[0][c] == EMPTY]
