"""FifteenPuzzle: sliding rules, scrambling, an IDA* solver, invalid moves and the turn limit."""

from __future__ import annotations

import itertools
import re
import warnings

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env
from hypothesis import given
from hypothesis import strategies as st

import gem_gymnasium  # noqa: F401  (registers the ids)
from gem_gymnasium.envs.games.fifteen_puzzle import (
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

IDS_ALL = [
    "gem/FifteenPuzzle-v0",
    "gem/FifteenPuzzle-Easy-v0",
    "gem/FifteenPuzzle-Hard-v0",
    "gem/FifteenPuzzle-Random-v0",
]


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


def ida_star(board: tuple[int, ...], n: int) -> list[str]:
    """An optimal move list (Manhattan distance is admissible), never undoing the last move."""
    goal = goal_board(n)
    path: list[str] = []

    def search(state, g, bound, last):
        f = g + manhattan(state, n)
        if f > bound:
            return f
        if state == goal:
            return -1
        best = 10**9
        for move in legal_moves(state, n):
            if last and move == OPPOSITE[last]:
                continue
            path.append(move)
            result = search(slide(state, n, move), g + 1, bound, move)
            if result == -1:
                return -1
            best = min(best, result)
            path.pop()
        return best

    bound = manhattan(board, n)
    while (bound := search(board, 0, bound, None)) != -1:
        pass
    return path


def read_board(obs: str, n: int) -> tuple[int, ...]:
    """The board as the observation shows it (the solver sees only the text)."""
    rows = [line.split() for line in obs.splitlines() if re.fullmatch(r"[\d_ ]+", line.strip())]
    cells = [0 if cell.startswith("_") else int(cell) for row in rows[-n:] for cell in row]
    return tuple(cells)


SOLVER_CASES = [
    *((env_id, seed) for env_id in IDS_ALL if "Hard" not in env_id for seed in range(8)),
    # Pure-Python IDA* needs up to half a minute on some 4x4 boards; these seeds take < 0.2 s.
    *(("gem/FifteenPuzzle-Hard-v0", seed) for seed in (0, 1, 4, 6, 9, 15)),
]


@pytest.mark.parametrize(("env_id", "seed"), SOLVER_CASES)
def test_solver_wins_within_the_turn_limit(env_id, seed):
    env = gym.make(env_id).unwrapped
    obs, _ = env.reset(seed=seed)
    board = read_board(obs, env.num_rows)
    assert board == env.board
    moves = ida_star(board, env.num_rows)
    assert 1 <= len(moves) <= env.max_turns
    rewards = []
    for i, move in enumerate(moves):
        _, reward, terminated, truncated, info = env.step(f"Slide: \\boxed{{{move.upper()}}}")
        rewards.append(reward)
        assert info["valid_action"] and not truncated
        assert terminated == (i == len(moves) - 1)
    assert info["success"] and info["reason"] == "won"
    assert rewards[-1] == 1.0 and sum(rewards) == 1.0


def test_hard_boards_are_solvable_within_the_limit():
    env = gym.make("gem/FifteenPuzzle-Hard-v0").unwrapped
    for seed in range(20):
        env.reset(seed=seed)
        assert env.board != goal_board(4) and is_solvable(env.board, 4)
        # The start board is a walk of at most max_turns moves (see the hypothesis test); its
        # Manhattan distance, a lower bound on the solution, must fit in the limit too.
        assert manhattan(env.board, 4) <= env.max_turns


# --- boards ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("n", "max_turns", "minimum"), [(2, 10, 9), (3, 20, 150), (4, 50, 180)])
def test_boards_are_varied_solvable_and_never_solved(n, max_turns, minimum):
    env = FifteenPuzzle(num_rows=n, max_turns=max_turns)
    boards = set()
    for seed in range(200):
        env.reset(seed=seed)
        assert env.board != goal_board(n) and is_solvable(env.board, n)
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
    for seed in range(20):
        env.reset(seed=seed)
        assert 1 <= len(ida_star(env.board, 3)) <= 2


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


# --- sampling, checker, snapshots -----------------------------------------------------------------


@pytest.mark.parametrize("env_id", IDS_ALL)
def test_random_actions_parse_and_are_legal(env_id):
    env = gym.make(env_id).unwrapped
    for seed in range(3):
        env.reset(seed=seed)
        env.action_space.seed(seed)
        terminated = False
        while not terminated:
            _, _, terminated, _, info = env.step(env.sample_random_action())
            assert info["valid_action"] and not info["format_error"]


@pytest.mark.parametrize("env_id", IDS_ALL)
def test_check_env(env_id):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_env(gym.make(env_id).unwrapped, skip_render_check=True)


def test_snapshot_restores_the_episode():
    env = FifteenPuzzle()
    env.reset(seed=5)
    state = env.get_state()
    move = legal_moves(env.board, 3)[0]
    after = env.step(f"\\boxed{{{move}}}")
    env.set_state(state)
    assert env.step(f"\\boxed{{{move}}}") == after


@pytest.mark.parametrize("kwargs", [dict(num_rows=1), dict(scramble_moves=0)])
def test_bad_configuration_raises(kwargs):
    with pytest.raises(ValueError, match="FifteenPuzzle"):
        FifteenPuzzle(**kwargs)
