"""Sokoban rules without Gymnasium: moves, rendering, and level generation by reverse play.

A room is a ``size`` x ``size`` grid addressed by flat cell index ``row * size + col``; its border
is always wall, so a step from an inner cell never leaves the grid.

Generation works backwards from the solved position, which makes every level solvable by
construction: boxes start on the targets, and the player *pulls* them (the reverse of a push)
around the room. Played forwards, the recorded reverse moves are a solution, so keeping their
count within a budget guarantees a solution within the turn limit. Only levels where no box ends
on a target are kept.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

__all__ = [
    "DIRECTIONS",
    "Level",
    "generate_level",
    "render_room",
    "try_move",
]

DIRECTIONS = ("up", "down", "left", "right")
_MAX_ROOMS = 2000  # rooms tried before giving up (valid Sokoban settings need a handful)
_OPPOSITE = {"up": "down", "down": "up", "left": "right", "right": "left"}

WALL, FLOOR, TARGET, BOX, BOX_ON_TARGET, PLAYER, PLAYER_ON_TARGET = "#_.$*@+"
LEGEND = (
    f"'{WALL}' wall, '{FLOOR}' floor, '{TARGET}' target, '{BOX}' box, "
    f"'{BOX_ON_TARGET}' box on a target, '{PLAYER}' you, '{PLAYER_ON_TARGET}' you on a target"
)


def offset(size: int, direction: str) -> int:
    """Change of flat index for one step in ``direction``."""
    return {"up": -size, "down": size, "left": -1, "right": 1}[direction]


@dataclass(frozen=True)
class Level:
    """A generated level: the room, where the boxes and player start, and a known solution."""

    size: int
    walls: frozenset[int]
    targets: frozenset[int]
    boxes: frozenset[int]
    player: int
    solution: tuple[str, ...]


def try_move(
    size: int, walls: frozenset[int], boxes: frozenset[int], player: int, direction: str
) -> tuple[int, frozenset[int], bool] | str:
    """Apply one move: ``(player, boxes, pushed)``, or why it is impossible.

    The reason is ``"wall"`` (walking into a wall), ``"box_wall"`` (pushing a box into a wall) or
    ``"box_box"`` (pushing a box into another box).
    """
    step = offset(size, direction)
    ahead = player + step
    if ahead in walls:
        return "wall"
    if ahead not in boxes:
        return ahead, boxes, False
    beyond = ahead + step
    if beyond in walls:
        return "box_wall"
    if beyond in boxes:
        return "box_box"
    return ahead, (boxes - {ahead}) | {beyond}, True


def render_room(
    size: int, walls: frozenset[int], targets: frozenset[int], boxes: frozenset[int], player: int
) -> str:
    """One line per row, cells separated by spaces, in the symbols of :data:`LEGEND`."""
    lines = []
    for r in range(size):
        cells = []
        for cell in range(r * size, (r + 1) * size):
            if cell in walls:
                cells.append(WALL)
            elif cell in boxes:
                cells.append(BOX_ON_TARGET if cell in targets else BOX)
            elif cell == player:
                cells.append(PLAYER_ON_TARGET if cell in targets else PLAYER)
            else:
                cells.append(TARGET if cell in targets else FLOOR)
        lines.append(" ".join(cells))
    return "\n".join(lines)


# --- generation ----------------------------------------------------------------------------------


def _carve_room(rng: np.random.Generator, size: int, num_floor: int) -> set[int]:
    """Floor cells carved by a random walk over the inner cells (so the floor is connected).

    The walk keeps its direction with probability 0.6, which makes corridors as well as open areas.
    """
    inner = size - 2
    r, c = int(rng.integers(inner)) + 1, int(rng.integers(inner)) + 1
    floor = {r * size + c}
    steps = ((-1, 0), (1, 0), (0, -1), (0, 1))
    dr, dc = steps[int(rng.integers(4))]
    while len(floor) < num_floor:
        if rng.random() > 0.6 or not (1 <= r + dr <= inner and 1 <= c + dc <= inner):
            dr, dc = steps[int(rng.integers(4))]
            continue
        r, c = r + dr, c + dc
        floor.add(r * size + c)
    return floor


def _walks(size: int, floor: set[int], boxes: set[int], start: int) -> dict[int, tuple[int, str]]:
    """Breadth-first search of the player: reachable cell -> (previous cell, direction taken)."""
    parents: dict[int, tuple[int, str]] = {start: (-1, "")}
    queue = deque([start])
    while queue:
        cell = queue.popleft()
        for direction, step in zip(DIRECTIONS, (-size, size, -1, 1), strict=True):
            nxt = cell + step
            if nxt in floor and nxt not in boxes and nxt not in parents:
                parents[nxt] = (cell, direction)
                queue.append(nxt)
    return parents


def _path(parents: dict[int, tuple[int, str]], cell: int) -> list[str]:
    path = []
    while parents[cell][0] >= 0:
        cell, direction = parents[cell]
        path.append(direction)
    return path[::-1]


class _ReversePlay:
    """Pulls boxes off their targets, backwards from the solved position.

    A pull: the player stands at ``s`` next to a box at ``s + d`` and steps to ``s - d`` (which
    must be free), dragging the box to ``s``. Played forwards it is a push in direction ``d``, so
    the reverse moves, undone last to first, solve the level. The moves are kept within
    ``budget``, which bounds the solution's length.
    """

    def __init__(self, rng: np.random.Generator, size: int, floor: set[int], budget: int) -> None:
        self.rng, self.size, self.floor, self.budget = rng, size, floor, budget
        self.nodes = 0  # search effort, bounded so that a hopeless room is dropped quickly

    def options(
        self,
        boxes: frozenset[int],
        player: int,
        used: int,
        movable: Iterable[int],
        avoid: frozenset[int],
    ) -> list[tuple[list[str], int, int, int]]:
        """Every pull within the budget: ``(walk, box, new box cell, new player cell)``.

        ``player < 0`` means the player is not placed yet (it starts wherever the first pull
        does, so the forward solution has no pointless final walk). A pull that leaves the player
        with no free neighbour, or a box on a cell of ``avoid``, is left out.
        """
        floor, size = self.floor, self.size
        if player < 0:
            parents = {cell: (-1, "") for cell in floor if cell not in boxes}
            distance = dict.fromkeys(parents, 0)
        else:
            parents = _walks(size, floor, boxes, player)
            distance = {player: 0}
            for cell in parents:  # BFS order: a cell's parent comes before it
                if cell != player:
                    distance[cell] = distance[parents[cell][0]] + 1
        found = []
        for box in movable:
            for direction in DIRECTIONS:
                step = offset(size, direction)
                stand = box - step
                if stand not in distance:
                    continue
                for length in range(1, self.budget - used - distance[stand] + 1):
                    end = stand - length * step
                    if end not in floor or end in boxes:
                        break
                    new_box = end + step
                    if new_box in avoid:
                        continue
                    if any(
                        end + s in floor and end + s not in boxes and end + s != new_box
                        for s in (size, -size, 1, -1)
                    ):
                        walk = _path(parents, stand) + [_OPPOSITE[direction]] * length
                        found.append((walk, box, new_box, end))
        return found

    def clear_targets(
        self, targets: frozenset[int], boxes: frozenset[int], player: int, moves: list[str]
    ) -> tuple[frozenset[int], int, list[str]] | None:
        """Depth-first search for pulls that leave no box on a target (a few tries per level)."""
        stuck = [b for b in boxes if b in targets]
        if not stuck:
            return boxes, player, moves
        self.nodes += 1
        if self.nodes > 10 * len(targets):
            return None
        options = self.options(boxes, player, len(moves), stuck, frozenset())
        for k in self.rng.permutation(len(options))[:3]:
            walk, box, new_box, new_player = options[int(k)]
            result = self.clear_targets(
                targets, (boxes - {box}) | {new_box}, new_player, moves + walk
            )
            if result is not None:
                return result
        return None

    def scramble(
        self,
        targets: frozenset[int],
        boxes: frozenset[int],
        player: int,
        moves: list[str],
        pulls: int,
    ) -> tuple[frozenset[int], int, list[str]]:
        """Up to ``pulls`` more random pulls of any box, never onto a target."""
        for _ in range(pulls):
            options = self.options(boxes, player, len(moves), boxes, targets)
            if not options:
                break
            walk, box, new_box, player = options[int(self.rng.integers(len(options)))]
            boxes = (boxes - {box}) | {new_box}
            moves = moves + walk
        return boxes, player, moves


def generate_level(rng: np.random.Generator, size: int, num_boxes: int, max_moves: int) -> Level:
    """A random level whose known solution takes at most ``max_moves`` moves.

    No box starts on a target. When reverse play cannot clear every target (a cramped room, a
    spent budget), new targets are drawn, and after a few tries a new room.

    Raises:
        RuntimeError: When thousands of rooms fail (far too many boxes for the room or budget).
    """
    inner = (size - 2) ** 2
    for _ in range(_MAX_ROOMS):
        fraction = rng.uniform(0.6, 0.9)
        num_floor = min(inner, max(3 * num_boxes + 3, round(inner * fraction)))
        floor = _carve_room(rng, size, num_floor)
        # A target must allow a first pull: floor on one side for the player and behind it.
        steps = (size, -size, 1, -1)
        cells = [
            cell
            for cell in sorted(floor)
            if any(cell - step in floor and cell - 2 * step in floor for step in steps)
        ]
        if len(cells) < num_boxes:
            continue
        for _ in range(4):
            chosen = rng.choice(len(cells), size=num_boxes, replace=False)
            targets = frozenset(cells[int(i)] for i in chosen)
            play = _ReversePlay(rng, size, floor, max_moves)
            cleared = play.clear_targets(targets, targets, -1, [])
            if cleared is None:
                continue
            extra = int(rng.integers(num_boxes, 2 * num_boxes + 1))
            boxes, player, reverse_moves = play.scramble(targets, *cleared, extra)
            walls = frozenset(range(size * size)) - floor
            # Forwards: undo the reverse moves last to first, each in the opposite direction.
            solution = tuple(_OPPOSITE[m] for m in reversed(reverse_moves))
            return Level(size, walls, targets, frozenset(boxes), player, solution)
    raise RuntimeError(
        f"no {size}x{size} Sokoban level with {num_boxes} boxes solvable in {max_moves} moves "
        f"found in {_MAX_ROOMS} rooms; use fewer boxes or more moves"
    )
