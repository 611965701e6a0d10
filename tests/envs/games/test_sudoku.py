"""Sudoku: generator and rule functions, the env's move paths, and a solver playing to a win."""

from __future__ import annotations

import re

import gymnasium as gym
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import gem_gymnasium
from gem_gymnasium.envs.games.sudoku import Sudoku, render_grid
from gem_gymnasium.envs.games.sudoku_rules import (
    conflict,
    count_solutions,
    make_puzzle,
    random_solution,
)
from gem_gymnasium.testing import check_fuzz

PRESETS = ["gem/Sudoku-v0", "gem/Sudoku-Easy-v0", "gem/Sudoku-Hard-v0", "gem/Sudoku-Random-v0"]


# --- an independent solver for the tests: plain backtracking over the observed grid --------------


def parse_grid(observation: str) -> list[list[int]]:
    """The last grid printed in an observation, as rows of ints (0 = empty)."""
    rows = re.findall(r"^\s*\d+\|(.*)\|\s*$", observation, flags=re.MULTILINE)
    grid = [[0 if t == "." else int(t) for t in row.replace("|", " ").split()] for row in rows]
    size = len(grid[0])
    return grid[-size:]


def solve(grid: list[list[int]]) -> list[list[int]]:
    """Solve by backtracking on the first empty cell (slow but obviously correct)."""
    size = len(grid)
    side = int(size**0.5)
    grid = [row[:] for row in grid]

    def ok(r: int, c: int, v: int) -> bool:
        if v in grid[r] or any(grid[i][c] == v for i in range(size)):
            return False
        top, left = r - r % side, c - c % side
        return all(
            grid[i][j] != v for i in range(top, top + side) for j in range(left, left + side)
        )

    def fill() -> bool:
        for r in range(size):
            for c in range(size):
                if not grid[r][c]:
                    for v in range(1, size + 1):
                        if ok(r, c, v):
                            grid[r][c] = v
                            if fill():
                                return True
                    grid[r][c] = 0
                    return False
        return True

    assert fill()
    return grid


def is_valid_solution(grid: list[int], size: int) -> bool:
    side = int(size**0.5)
    digits = set(range(1, size + 1))
    rows = [grid[r * size : (r + 1) * size] for r in range(size)]
    cols = [grid[c::size] for c in range(size)]
    boxes = [
        [grid[(top + i) * size + left + j] for i in range(side) for j in range(side)]
        for top in range(0, size, side)
        for left in range(0, size, side)
    ]
    return all(set(unit) == digits for unit in rows + cols + boxes)


# --- rules ---------------------------------------------------------------------------------------


def test_count_solutions_known_cases():
    assert count_solutions([0] * 16, 4, limit=1000) == 288  # every 4x4 Sudoku grid
    solution = random_solution(np.random.default_rng(0), 9)
    assert count_solutions(solution, 9) == 1
    broken = list(solution)
    broken[0], broken[1] = broken[1], broken[0]
    assert count_solutions(broken, 9) == 0
    one_hole = list(solution)
    one_hole[0] = 0
    assert count_solutions(one_hole, 9) == 1
    # A rectangle of 1s and 3s spanning two boxes can be swapped: two solutions.
    assert count_solutions([0, 2, 0, 4, 0, 4, 0, 2, 2, 1, 4, 3, 4, 3, 2, 1], 4) == 2


@pytest.mark.parametrize("size", [4, 9])
def test_random_solution_is_a_valid_grid_and_varies(size):
    grids = {tuple(random_solution(np.random.default_rng(s), size)) for s in range(30)}
    assert all(is_valid_solution(list(g), size) for g in grids)
    assert len(grids) > 20


@pytest.mark.parametrize(
    ("size", "num_empty", "seeds"), [(4, 10, 300), (4, 12, 100), (9, 47, 120), (9, 30, 60)]
)
def test_make_puzzle_has_a_unique_solution(size, num_empty, seeds):
    for seed in range(seeds):
        puzzle, solution = make_puzzle(np.random.default_rng(seed), size, num_empty)
        assert puzzle.count(0) == num_empty
        assert all(p in (0, s) for p, s in zip(puzzle, solution, strict=True))
        assert is_valid_solution(solution, size)
        assert count_solutions(puzzle, size, limit=3) == 1


def test_make_puzzle_rejects_impossible_counts():
    with pytest.raises(ValueError, match="num_empty"):
        make_puzzle(np.random.default_rng(0), 4, 13)
    with pytest.raises(ValueError, match="num_empty"):
        make_puzzle(np.random.default_rng(0), 9, 0)


def test_conflict_names_the_unit_and_cell():
    grid = [0] * 16
    grid[0 * 4 + 3] = 2  # R1 C4
    grid[3 * 4 + 1] = 3  # R4 C2
    grid[1 * 4 + 1] = 4  # R2 C2
    assert conflict(grid, 4, 0, 0, 2) == "row 1 (R1 C4)"
    assert conflict(grid, 4, 0, 1, 3) == "column 2 (R4 C2)"
    assert conflict(grid, 4, 0, 0, 4) == "its box (R2 C2)"
    assert conflict(grid, 4, 0, 0, 1) is None


def test_render_grid_layout():
    text = render_grid([1, 2, 3, 4, 3, 4, 1, 2, 2, 1, 4, 3, 4, 3, 2, 0], 4)
    assert text.splitlines()[0].split() == ["1", "2", "3", "4"]
    assert " 4| 4 3 | 2 . |" in text


# --- the environment -----------------------------------------------------------------------------


def test_gem_alias():
    assert gem_gymnasium.make("game:Sudoku-v0-hard").spec.id == "gem/Sudoku-Hard-v0"


@pytest.mark.parametrize("env_id", PRESETS)
def test_solver_wins_with_rewards_summing_to_one(env_id):
    env = gym.make(env_id)
    for seed in range(5):
        obs, _ = env.reset(seed=seed)
        board = parse_grid(obs)
        solution = solve(board)
        total, terminated, info = 0.0, False, {}
        moves = [
            (r, c, solution[r][c])
            for r in range(len(board))
            for c in range(len(board))
            if not board[r][c]
        ]
        assert len(moves) == env.unwrapped.num_empty
        for r, c, v in moves:
            assert not terminated
            obs, reward, terminated, truncated, info = env.step(
                f"So \\boxed{{{r + 1} {c + 1} {v}}}"
            )
            assert info["valid_action"] and not truncated
            total += reward
        assert terminated and info["success"] and info["reason"] == "won"
        assert total == pytest.approx(1.0)
        assert parse_grid(obs) == solution


def test_random_preset_draws_easy_and_hard():
    env = gym.make("gem/Sudoku-Random-v0")
    seen = set()
    for seed in range(30):
        env.reset(seed=seed)
        u = env.unwrapped
        seen.add((u.size, u.num_empty, u.max_turns))
    assert seen == {(4, 10, 15), (9, 47, 50)}


def boxed(row: int, col: int, value: int) -> str:
    return rf"\boxed{{{row} {col} {value}}}"


def _fresh(seed: int = 3) -> tuple[gym.Env, Sudoku]:
    env = gym.make("gem/Sudoku-Easy-v0")
    env.reset(seed=seed)
    return env, env.unwrapped


def _find_cells(u: Sudoku):
    """A given cell, an empty cell with a row conflict, and an empty cell with a wrong-but-legal value."""
    n = u.size
    given = u.givens.index(True)
    row_conflict = wrong = None
    for cell, value in enumerate(u.board):
        if value:
            continue
        r, c = divmod(cell, n)
        for v in range(1, n + 1):
            where = conflict(u.board, n, r, c, v)
            if where and where.startswith("row") and row_conflict is None:
                row_conflict = (r + 1, c + 1, v)
            if where is None and v != u.solution[cell] and wrong is None:
                wrong = (r + 1, c + 1, v)
    return given, row_conflict, wrong


INVALID_CASES = {
    "row out of range": (lambda u, g: (5, 1, 1), "outside the grid"),
    "row zero": (lambda u, g: (0, 1, 1), "outside the grid"),
    "column out of range": (lambda u, g: (1, 99, 1), "outside the grid"),
    "value out of range": (lambda u, g: (g[0] // 4 + 1, g[0] % 4 + 1, 5), "value must be in 1..4"),
    "value zero": (lambda u, g: (1, 1, 0), "value must be in 1..4"),
    "given cell": (lambda u, g: (g[0] // 4 + 1, g[0] % 4 + 1, 1), "a given digit"),
    "rule broken": (lambda u, g: g[1], "breaks the rules"),
}


@pytest.mark.parametrize("case", INVALID_CASES)
def test_invalid_moves_cost_a_turn_and_change_nothing(case):
    env, u = _fresh()
    make_move, message = INVALID_CASES[case]
    cells = _find_cells(u)
    before = list(u.board)
    obs, reward, terminated, truncated, info = env.step(boxed(*make_move(u, cells)))
    assert reward == 0.0 and not terminated and not truncated
    assert info["valid_action"] is False and info["format_error"] is False and info["turn"] == 1
    assert message in obs
    assert u.board == before


def test_refilling_an_earlier_placement_is_invalid():
    env, u = _fresh()
    cell = u.board.index(0)
    r, c, v = cell // 4 + 1, cell % 4 + 1, u.solution[cell]
    _, reward, *_ = env.step(rf"\boxed{{{r} {c} {v}}}")
    assert reward == pytest.approx(1 / u.num_empty)
    obs, reward, _, _, info = env.step(rf"\boxed{{{r} {c} {v}}}")
    assert reward == 0.0 and not info["valid_action"] and "earlier placement" in obs


def test_wrong_but_legal_value_is_not_called_a_rule_violation():
    env, u = _fresh()
    _, _, wrong = _find_cells(u)
    assert wrong is not None
    obs, reward, terminated, _, info = env.step(boxed(*wrong))
    assert reward == 0.0 and not terminated and info["valid_action"]
    feedback = obs.split("\n\n")[0]
    assert feedback.startswith("Wrong") and "breaks no rule" in feedback
    assert "Invalid" not in feedback and "breaks the rules" not in feedback
    assert u.board[(wrong[0] - 1) * 4 + wrong[1] - 1] == 0
    assert (
        "R{} C{} is not {}".format(*wrong) in obs
    )  # remembered for a policy that sees one observation


@pytest.mark.parametrize(
    "action", ["no box", r"\boxed{1 2}", r"\boxed{a b c}", r"\boxed{1 2 3 4}", r"\boxed{}"]
)
def test_format_errors_end_the_episode(action):
    env, _ = _fresh()
    _, reward, terminated, _, info = env.step(action)
    assert reward == pytest.approx(-0.1) and terminated
    assert info["format_error"] and info["reason"] == "format_error" and not info["success"]


def test_accepted_notations():
    _, u = _fresh()
    assert u.parse_move("R1 C2 3") == (1, 2, 3)
    assert u.parse_move("1, 2, 3") == (1, 2, 3)
    assert u.parse_move(" 1 2 3 ") == (1, 2, 3)
    assert u.parse_move("row 1") is None


def test_turn_limit_ends_with_zero_extra_reward():
    env, u = _fresh()
    _, _, wrong = _find_cells(u)
    rewards = []
    for turn in range(1, u.max_turns + 1):
        _, reward, terminated, truncated, info = env.step(boxed(*wrong))
        rewards.append(reward)
        assert terminated == (turn == u.max_turns) and not truncated
    assert sum(rewards) == 0.0
    assert info["reason"] == "turn_limit" and info["success"] is False


def test_win_on_the_last_turn_counts():
    env = gym.make("gem/Sudoku-Easy-v0", max_turns=10)  # exactly the 10 empty cells
    env.reset(seed=7)
    u = env.unwrapped
    for cell in [i for i, v in enumerate(u.board) if not v]:
        _, _, terminated, _, info = env.step(
            rf"\boxed{{{cell // 4 + 1} {cell % 4 + 1} {u.solution[cell]}}}"
        )
    assert terminated and info["success"] and info["reason"] == "won"


def test_same_seed_same_episode_and_sample_action_leaves_game_rng_alone():
    a, b = gym.make("gem/Sudoku-Hard-v0"), gym.make("gem/Sudoku-Hard-v0")
    obs_a, _ = a.reset(seed=11)
    a.unwrapped.action_space.seed(0)
    for _ in range(5):
        a.unwrapped.sample_random_action()
    obs_b, _ = b.reset(seed=11)
    assert obs_a == obs_b
    assert a.reset(seed=12)[0] == b.reset(seed=12)[0]
    assert a.reset(seed=13)[0] != a.reset(seed=14)[0]


def test_sample_random_action_parses_and_targets_an_empty_cell():
    env = gym.make("gem/Sudoku-Random-v0")
    for seed in range(10):
        env.reset(seed=seed)
        u = env.unwrapped
        u.action_space.seed(seed)
        for _ in range(20):
            action = u.sample_random_action()
            r, c, v = u.parse_move(u.extract_answer(action))
            assert u.board[(r - 1) * u.size + c - 1] == 0 and 1 <= v <= u.size
            _, _, terminated, _, info = env.step(action)
            assert not info["format_error"]
            if terminated:
                break


def test_constructor_validation():
    with pytest.raises(ValueError, match="size"):
        Sudoku(size=16)
    with pytest.raises(ValueError, match="num_empty"):
        Sudoku(size=4, num_empty=20)
    with pytest.raises(ValueError, match="num_empty"):
        Sudoku(size=9, num_empty=0)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.text(max_size=40) | st.from_regex(r"\\boxed\{-?\d{1,3} -?\d{1,3} -?\d{1,3}\}"),
        max_size=30,
    )
)
def test_fuzzed_actions_never_crash(actions):
    # Format errors do not end the episode here, so the fuzz reaches deep into the game.
    check_fuzz("gem/Sudoku-Easy-v0", actions, end_on_format_error=False, max_turns=1000)
