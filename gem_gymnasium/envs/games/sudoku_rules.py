"""Sudoku rules without Gymnasium: grid generation, a bitmask solution counter, rule checks.

Grids are flat lists of ``size * size`` ints in row-major order, ``0`` for an empty cell and
``1..size`` for a digit. ``size`` is a perfect square (4 or 9 in the game).

Generation is fast enough for every reset: a random solution grid comes from a randomised
constraint search (three independent diagonal boxes, then the rest), and cells are removed in a
random order, each removal kept only if the puzzle stays uniquely solvable. Uniqueness is checked
incrementally: the puzzle before a removal has one solution, so the puzzle after removing digit ``v``
from cell ``i`` is still unique exactly when no solution has a digit other than ``v`` in cell ``i``.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "MAX_EMPTY",
    "box_size",
    "conflict",
    "count_solutions",
    "make_puzzle",
    "random_solution",
]

#: Largest ``num_empty`` per size that greedy removal reliably reaches (minimal puzzles of 9x9
#: Sudoku keep 22-26 clues; greedy removal stops at 54-59 empty cells, median 57).
MAX_EMPTY = {4: 12, 9: 56}

_POPCOUNT = [bin(mask).count("1") for mask in range(1 << 9)]
_GEOMETRY: dict[int, tuple[int, list[tuple[int, int, int]]]] = {}
_UNITS: dict[int, list[tuple[tuple[int, ...], ...]]] = {}


def box_size(size: int) -> int:
    """Side of a box: 2 for a 4x4 grid, 3 for 9x9."""
    return _geometry(size)[0]


def _geometry(size: int) -> tuple[int, list[tuple[int, int, int]]]:
    """``(box side, [(row, col, box) per cell])``, cached per size."""
    if size not in _GEOMETRY:
        side = round(size**0.5)
        if side * side != size or not 2 <= side <= 3:
            raise ValueError(f"Sudoku size must be 4 or 9, got {size}")
        cells = [
            (i // size, i % size, (i // size // side) * side + (i % size) // side)
            for i in range(size * size)
        ]
        _GEOMETRY[size] = (side, cells)
    return _GEOMETRY[size]


class _Masks:
    """Digits used per row, column and box, as bitmasks (bit ``d-1`` for digit ``d``)."""

    def __init__(self, grid: list[int], size: int) -> None:
        self.cells = _geometry(size)[1]
        self.full = (1 << size) - 1
        self.rows = [0] * size
        self.cols = [0] * size
        self.boxes = [0] * size
        for i, value in enumerate(grid):
            if value:
                self.toggle(i, 1 << (value - 1))

    def toggle(self, cell: int, bit: int) -> None:
        r, c, b = self.cells[cell]
        self.rows[r] ^= bit
        self.cols[c] ^= bit
        self.boxes[b] ^= bit

    def candidates(self, cell: int) -> int:
        r, c, b = self.cells[cell]
        return self.full & ~(self.rows[r] | self.cols[c] | self.boxes[b])


def _search(
    masks: _Masks,
    empties: list[int],
    limit: int,
    grid: list[int] | None = None,
    order: list[int] | None = None,
    excluded: tuple[int, int] = (-1, 0),
) -> int:
    """Count completions up to ``limit`` (most-constrained cell first).

    With ``grid`` the first completion found is written into it (and kept). ``order`` is the digit
    order to try (bit indices); ``excluded`` is ``(cell, bit)`` that cell may not take.
    """
    if not empties:
        return 1
    # Hot loop of every reset: locals and inlined mask arithmetic on purpose.
    rows, cols, boxes, geometry, full = masks.rows, masks.cols, masks.boxes, masks.cells, masks.full
    excluded_cell, excluded_bit = excluded
    best, best_count, best_mask = 0, 99, 0
    for k, cell in enumerate(empties):
        r, c, b = geometry[cell]
        mask = full & ~(rows[r] | cols[c] | boxes[b])
        if cell == excluded_cell:
            mask &= ~excluded_bit
        count = _POPCOUNT[mask]
        if count < best_count:
            if count == 0:
                return 0
            best, best_count, best_mask = k, count, mask
            if count == 1:
                break
    cell = empties[best]
    rest = empties[:best] + empties[best + 1 :]
    r, c, b = geometry[cell]
    if order is None:
        bits = []
        mask = best_mask
        while mask:
            bits.append(mask & -mask)
            mask &= mask - 1
    else:
        bits = [1 << d for d in order if best_mask >> d & 1]
    total = 0
    for bit in bits:
        rows[r] ^= bit
        cols[c] ^= bit
        boxes[b] ^= bit
        found = _search(masks, rest, limit - total, grid, order, excluded)
        rows[r] ^= bit
        cols[c] ^= bit
        boxes[b] ^= bit
        if found and grid is not None and total == 0:
            grid[cell] = bit.bit_length()
        total += found
        if total >= limit:
            break
    return total


def count_solutions(grid: list[int], size: int, limit: int = 2) -> int:
    """Number of solutions of ``grid``, counted up to ``limit`` (so 2 means "two or more")."""
    if len(grid) != size * size:
        raise ValueError(f"expected {size * size} cells, got {len(grid)}")
    masks = _Masks([0] * len(grid), size)
    for i, value in enumerate(grid):
        if value:
            if masks.candidates(i) >> (value - 1) & 1 == 0:
                return 0  # the givens already break a rule
            masks.toggle(i, 1 << (value - 1))
    return _search(masks, [i for i, v in enumerate(grid) if not v], limit)


def random_solution(rng: np.random.Generator, size: int) -> list[int]:
    """A random complete grid drawn from ``rng``.

    Diagonal boxes share no row, column or box, so each starts as an independent random
    permutation; a search with a random digit order completes the rest. For 9x9 the three
    diagonal boxes always complete; for 4x4 two diagonal boxes may not, so only the first is
    seeded (and a failed completion, should one occur, starts over).
    """
    side, _ = _geometry(size)
    seeded_boxes = side if size == 9 else 1
    while True:
        grid = [0] * (size * size)
        for band in range(seeded_boxes):
            digits = rng.permutation(size) + 1
            for k in range(size):
                grid[(band * side + k // side) * size + band * side + k % side] = int(digits[k])
        masks = _Masks(grid, size)
        order = [int(d) for d in rng.permutation(size)]
        empties = [i for i, v in enumerate(grid) if not v]
        if _search(masks, empties, 1, grid=grid, order=order):
            return grid


def _hidden_single(masks: _Masks, grid: list[int], cell: int, bit: int) -> bool:
    """Whether no other empty cell of one of ``cell``'s row, column or box can take ``bit``."""
    for unit in _units(len(masks.rows))[cell]:
        if not any(j != cell and not grid[j] and masks.candidates(j) & bit for j in unit):
            return True
    return False


def _units(size: int) -> list[tuple[tuple[int, ...], ...]]:
    """Per cell: the cells of its row, its column and its box."""
    if size not in _UNITS:
        cells = _geometry(size)[1]
        _UNITS[size] = [
            (
                tuple(j for j in range(size * size) if cells[j][0] == r),
                tuple(j for j in range(size * size) if cells[j][1] == c),
                tuple(j for j in range(size * size) if cells[j][2] == b),
            )
            for r, c, b in cells
        ]
    return _UNITS[size]


def make_puzzle(rng: np.random.Generator, size: int, num_empty: int) -> tuple[list[int], list[int]]:
    """``(puzzle, solution)`` with exactly ``num_empty`` empty cells and a unique solution."""
    if not 1 <= num_empty <= MAX_EMPTY[size]:
        raise ValueError(
            f"num_empty for a {size}x{size} Sudoku must be in 1..{MAX_EMPTY[size]}, got {num_empty}"
        )
    while True:  # a fresh grid when greedy removal stops short (rare below MAX_EMPTY)
        solution = random_solution(rng, size)
        puzzle = list(solution)
        masks = _Masks(puzzle, size)
        empties: list[int] = []
        for cell in rng.permutation(size * size):
            cell = int(cell)
            value = puzzle[cell]
            bit = 1 << (value - 1)
            masks.toggle(cell, bit)
            puzzle[cell] = 0
            # A naked or hidden single is forced by the other cells: unique without a search.
            forced = masks.candidates(cell) == bit or _hidden_single(masks, puzzle, cell, bit)
            if forced or _search(masks, [*empties, cell], 1, excluded=(cell, bit)) == 0:
                empties.append(cell)
                if len(empties) == num_empty:
                    return puzzle, solution
            else:
                masks.toggle(cell, bit)
                puzzle[cell] = value


def conflict(grid: list[int], size: int, row: int, col: int, value: int) -> str | None:
    """Where ``value`` at 0-indexed ``(row, col)`` would repeat a digit, or ``None`` if nowhere.

    The answer names the unit and the 1-indexed cell that already holds ``value``, e.g.
    ``"row 3 (R3 C7)"``.
    """
    side = box_size(size)
    for c in range(size):
        if c != col and grid[row * size + c] == value:
            return f"row {row + 1} (R{row + 1} C{c + 1})"
    for r in range(size):
        if r != row and grid[r * size + col] == value:
            return f"column {col + 1} (R{r + 1} C{col + 1})"
    top, left = row // side * side, col // side * side
    for r in range(top, top + side):
        for c in range(left, left + side):
            if (r, c) != (row, col) and grid[r * size + c] == value:
                return f"its box (R{r + 1} C{c + 1})"
    return None
