"""FifteenPuzzle: sliding rules, scrambling, an IDA* solver, invalid moves and the turn limit."""

from __future__ import annotations

import itertools
import re

import gymnasium as gym
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import gem_gymnasium  # noqa: F401  (registers the ids)
from gem_gymnasium.envs.games.fifteen_puzzle import (
    BLANK_STEP,
    OPPOSITE,
    RANDOM_PRESETS,
    FifteenPuzzle,
    goal_board,
    legal_moves,
    render_board,
    scramble,
    slide,
    tiles_in_place,
)


def is_solvable(board: tuple[int, ...], n: int) -> bool:
    """The classic parity test (inversions, plus the blank's row from the bottom for even n)."""
    tiles = [t for t in board if t]
    inversions = sum(a > b for i, a in enumerate(tiles) for b in tiles[i + 1 :])
    if n % 2:
        return inversions % 2 == 0
    blank_row_from_bottom = n - board.index(0) // n
    return (inversions + blank_row_from_bottom) % 2 == 1


# --- rules ---------------------------------------------------------------------------------------


def test_slide_names_the_direction_the_tile_moves():
    board = (1, 2, 3, 4, 0, 5, 6, 7, 8)  # blank in the centre
    assert slide(board, 3, "up") == (1, 2, 3, 4, 7, 5, 6, 0, 8)  # 7 (below) moves up
    assert slide(board, 3, "down") == (1, 0, 3, 4, 2, 5, 6, 7, 8)
    assert slide(board, 3, "left") == (1, 2, 3, 4, 5, 0, 6, 7, 8)  # 5 (right) moves left
    assert slide(board, 3, "right") == (1, 2, 3, 0, 4, 5, 6, 7, 8)
    goal = goal_board(3)
    assert legal_moves(goal, 3) == ["down", "right"]
    assert slide(goal, 3, "up") is None and slide(goal, 3, "left") is None


def test_render_board():
    assert render_board((1, 2, 3, 0), 2) == " 1  2\n 3 __"
    assert render_board(goal_board(4), 4).splitlines()[-1] == "13 14 15 __"


@given(st.integers(2, 5), st.integers(0, 2**32 - 1), st.integers(1, 60))
def test_scramble_walk_is_reversible_and_solvable(n, seed, length):
    board, moves = scramble(np.random.default_rng(seed), n, length)
    assert len(moves) == length
    assert all(OPPOSITE[a] != b for a, b in itertools.pairwise(moves))
    assert sorted(board) == list(range(n * n)) and is_solvable(board, n)
    for move in reversed(moves):
        board = slide(board, n, OPPOSITE[move])
    assert board == goal_board(n)


def test_tiles_in_place_ignores_the_blank():
    assert tiles_in_place(goal_board(3)) == 8
    assert tiles_in_place((1, 2, 3, 4, 5, 6, 7, 0, 8)) == 7
    assert tiles_in_place((0, 1, 2, 3)) == 0


# --- an IDA* solver -------------------------------------------------------------------------------


def manhattan(board: tuple[int, ...], n: int) -> int:
    return sum(
        abs(i // n - (t - 1) // n) + abs(i % n - (t - 1) % n) for i, t in enumerate(board) if t
    )


class OverBudget(Exception):
    """IDA* expanded more nodes than allowed."""


def ida_star(board: tuple[int, ...], n: int, max_nodes: int = 10**9) -> list[str]:
    """An optimal move list: IDA* on the Manhattan distance (admissible), updated per move."""
    goal = goal_board(n)
    tiles = list(board)
    path: list[str] = []
    nodes = 0

    def search(blank: int, g: int, h: int, bound: int, last: str | None) -> int:
        nonlocal nodes
        nodes += 1
        if nodes > max_nodes:
            raise OverBudget
        if g + h > bound:
            return g + h
        if h == 0 and tuple(tiles) == goal:
            return -1
        best = 10**9
        row, col = divmod(blank, n)
        for move, (dr, dc) in BLANK_STEP.items():
            if last == OPPOSITE[move] or not (0 <= row + dr < n and 0 <= col + dc < n):
                continue
            target = blank + dr * n + dc
            tile = tiles[target]
            goal_row, goal_col = divmod(tile - 1, n)
            # The tile moves from target to blank: only its own distance changes.
            delta = (abs(row - goal_row) + abs(col - goal_col)) - (
                abs(row + dr - goal_row) + abs(col + dc - goal_col)
            )
            tiles[blank], tiles[target] = tile, 0
            path.append(move)
            result = search(target, g + 1, h + delta, bound, move)
            if result == -1:
                return -1
            best = min(best, result)
            path.pop()
            tiles[blank], tiles[target] = 0, tile
        return best

    h = manhattan(board, n)
    bound = h
    while (bound := search(board.index(0), 0, h, bound, None)) != -1:
        pass
    return path


def read_board(obs: str, n: int) -> tuple[int, ...]:
    """The board as the observation shows it (the solver sees only the text)."""
    rows = [line.split() for line in obs.splitlines() if re.fullmatch(r"[\d_ ]+", line.strip())]
    cells = [0 if cell.startswith("_") else int(cell) for row in rows[-n:] for cell in row]
    return tuple(cells)


def play_solution(env: FifteenPuzzle, obs: str, max_nodes: int = 10**9) -> list[float]:
    """Solve the board read from ``obs`` with IDA* and play it; the per-step rewards."""
    board = read_board(obs, env.num_rows)
    assert board == env.board
    moves = ida_star(board, env.num_rows, max_nodes)
    assert 1 <= len(moves) <= env.max_turns
    rewards = []
    for i, move in enumerate(moves):
        _, reward, terminated, truncated, info = env.step(f"Slide: \\boxed{{{move.upper()}}}")
        rewards.append(reward)
        assert info["valid_action"] and not truncated
        assert terminated == (i == len(moves) - 1)
    assert info["success"] and info["reason"] == "won"
    assert rewards[-1] == 1.0 and sum(rewards) == 1.0
    return rewards


@pytest.mark.parametrize("env_id", ["gem/FifteenPuzzle-Easy-v0", "gem/FifteenPuzzle-v0"])
@pytest.mark.parametrize("seed", range(8))
def test_solver_wins_within_the_turn_limit(env_id, seed):
    env = gym.make(env_id).unwrapped
    obs, _ = env.reset(seed=seed)
    play_solution(env, obs)


def test_solver_wins_random_preset_episodes():
    env = gym.make("gem/FifteenPuzzle-Random-v0").unwrapped
    sizes = set()
    for seed in range(12):
        obs, _ = env.reset(seed=seed)
        if env.num_rows < 4:  # 4x4 boards: see the Hard test
            play_solution(env, obs)
            sizes.add(env.num_rows)
    assert sizes == {2, 3}


def test_solver_wins_most_hard_boards_within_a_node_budget():
    # Optimal 4x4 search in pure Python can take minutes on some boards, so each board gets a
    # node budget; those it solves must be won within the 50-move limit.
    env = gym.make("gem/FifteenPuzzle-Hard-v0").unwrapped
    solved = 0
    for seed in range(10):
        obs, _ = env.reset(seed=seed)
        try:
            play_solution(env, obs, max_nodes=100_000)
        except OverBudget:
            continue
        solved += 1
    assert solved >= 5


# --- boards ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("n", "max_turns", "minimum"), [(2, 10, 9), (3, 20, 150), (4, 50, 180)])
def test_boards_are_varied_solvable_and_never_solved(n, max_turns, minimum):
    env = FifteenPuzzle(num_rows=n, max_turns=max_turns)
    boards = set()
    for seed in range(200):
        env.reset(seed=seed)
        assert env.board != goal_board(n) and is_solvable(env.board, n)
        assert manhattan(env.board, n) <= max_turns  # a lower bound on the moves needed
        boards.add(env.board)
    assert len(boards) >= minimum


def test_board_is_seeded():
    env = FifteenPuzzle()
    env.reset(seed=11)
    first = env.board
    env.reset(seed=11)
    assert env.board == first


def test_scramble_moves_bounds_the_distance():
    env = FifteenPuzzle(num_rows=3, max_turns=20, scramble_moves=2)
    lengths = set()
    for seed in range(20):
        env.reset(seed=seed)
        lengths.add(len(ida_star(env.board, 3)))
    assert lengths == {1, 2}


def test_random_preset_draws_from_the_candidates():
    env = gym.make("gem/FifteenPuzzle-Random-v0").unwrapped
    seen = set()
    for seed in range(30):
        obs, _ = env.reset(seed=seed)
        seen.add((env.num_rows, env.max_turns))
        assert len(env.board) == env.num_rows**2
        assert f"{env.max_turns} moves" in obs
    assert seen == set(RANDOM_PRESETS)


# --- invalid moves, format errors, turn limit -----------------------------------------------------


def test_invalid_move_uses_the_turn_and_says_why():
    env = FifteenPuzzle(num_rows=2, max_turns=10)
    env.reset(seed=0)
    env.board = (1, 2, 3, 0)  # blank bottom-right: only down and right are possible
    obs, reward, terminated, truncated, info = env.step(r"\boxed{up}")
    assert (reward, terminated, truncated) == (0.0, False, False)
    assert info["valid_action"] is False and not info["format_error"] and info["turn"] == 1
    assert "no tile can slide up" in obs and "down, right" in obs
    assert env.board == (1, 2, 3, 0)


@pytest.mark.parametrize(
    ("content", "move"),
    [("up", "up"), ("DOWN", "down"), (" Left ", "left"), ("'right'", "right"), ("right.", "right")],
)
def test_parse_move_accepts_any_case(content, move):
    assert FifteenPuzzle().parse_move(content) == move


@pytest.mark.parametrize(
    "action", ["", "up", r"\boxed{}", r"\boxed{north}", r"\boxed{u}", r"\boxed{up down}"]
)
def test_format_error_ends_the_episode(action):
    env = FifteenPuzzle()
    env.reset(seed=0)
    _, reward, terminated, _, info = env.step(action)
    assert reward == pytest.approx(-0.1) and terminated
    assert info["format_error"] and info["reason"] == "format_error"


@pytest.mark.parametrize(
    ("start", "moves", "expected"),
    [
        ((1, 2, 0, 3), ["down"], 1 / 3),  # 1 slides down: (0, 2, 1, 3), only the 2 in place
        ((1, 2, 0, 3), ["right"], 2 / 3),  # invalid last move: the board is unchanged
        ((2, 3, 1, 0), ["down", "right"], 1 / 3),  # (2, 0, 1, 3), then (0, 2, 1, 3)
        ((1, 2, 3, 4, 5, 6, 7, 0, 8), ["up"], 7 / 8),
    ],
)
def test_turn_limit_pays_the_fraction_of_tiles_in_place(start, moves, expected):
    n = int(len(start) ** 0.5)
    env = FifteenPuzzle(num_rows=n, max_turns=len(moves))
    env.reset(seed=0)
    env.board = start
    for move in moves:
        _, reward, terminated, truncated, info = env.step(f"\\boxed{{{move}}}")
    assert reward == pytest.approx(expected)
    assert terminated and not truncated
    assert info["reason"] == "turn_limit" and info["success"] is False


def test_win_on_the_last_turn_counts():
    env = FifteenPuzzle(num_rows=2, max_turns=1)
    env.reset(seed=0)
    env.board = (1, 2, 3, 0)
    env.board = slide(env.board, 2, "right")
    _, reward, terminated, _, info = env.step(r"\boxed{left}")
    assert reward == 1.0 and terminated and info["success"] and info["reason"] == "won"


# --- configuration --------------------------------------------------------------------------------


@pytest.mark.parametrize("kwargs", [dict(num_rows=1), dict(scramble_moves=0)])
def test_bad_configuration_raises(kwargs):
    with pytest.raises(ValueError, match="FifteenPuzzle"):
        FifteenPuzzle(**kwargs)
