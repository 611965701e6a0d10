"""Minesweeper: board rules, a perfect-information solver, invalid moves and the turn limit."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import gem_gymnasium  # noqa: F401  (registers the ids)
from gem_gymnasium.envs.games.minesweeper import (
    Minesweeper,
    count_adjacent,
    flood_reveal,
    neighbours,
    parse_command,
    place_mines,
    render_board,
)

# --- rules ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "expected"),
    [((0, 0), 3), ((0, 2), 5), ((2, 2), 8), ((4, 4), 3), ((4, 2), 5)],
)
def test_neighbours_stay_on_the_board(cell, expected):
    cells = list(neighbours(*cell, 5, 5))
    assert len(cells) == len(set(cells)) == expected
    assert all(0 <= r < 5 and 0 <= c < 5 and (r, c) != cell for r, c in cells)


@settings(max_examples=60, deadline=None)
@given(st.integers(3, 9), st.integers(3, 9), st.integers(0, 2**32 - 1), st.data())
def test_place_mines_avoids_the_first_block(rows, cols, seed, data):
    order = np.random.default_rng(seed).permutation(rows * cols).tolist()
    num_mines = data.draw(st.integers(0, rows * cols - 9))
    safe = (data.draw(st.integers(0, rows - 1)), data.draw(st.integers(0, cols - 1)))
    mines = place_mines(order, rows, cols, num_mines, safe)
    assert sum(map(sum, mines)) == num_mines
    block = [(safe[0], safe[1]), *neighbours(*safe, rows, cols)]
    assert not any(mines[r][c] for r, c in block)
    counts = count_adjacent(mines)
    assert counts[safe[0]][safe[1]] == 0
    # Flood fill from the safe cell never reveals a mine and reveals a connected region.
    revealed = [[False] * cols for _ in range(rows)]
    flagged = [[False] * cols for _ in range(rows)]
    newly = flood_reveal(counts, revealed, flagged, safe)
    assert newly == sum(map(sum, revealed)) >= len(block)
    assert not any(revealed[r][c] and mines[r][c] for r in range(rows) for c in range(cols))
    assert flood_reveal(counts, revealed, flagged, safe) == 0


def test_count_adjacent_and_flood_fill_respect_flags():
    mines = [[False, False, False], [False, False, False], [False, False, True]]
    counts = count_adjacent(mines)
    assert counts == [[0, 0, 0], [0, 1, 1], [0, 1, 0]]
    revealed = [[False] * 3 for _ in range(3)]
    flagged = [[False, False, True], [False] * 3, [False] * 3]
    assert flood_reveal(counts, revealed, flagged, (0, 0)) == 7  # all but the flag and mine
    assert not revealed[0][2] and not revealed[2][2]


def test_render_board_legend():
    counts = [[0, 1], [1, 9]]
    text = render_board(counts, [[True, True], [False, False]], [[False, False], [True, False]])
    assert text.splitlines() == ["   0 1", "0  0 1", "1  F ."]
    shown = render_board(
        counts, [[True, True], [False, False]], [[False] * 2] * 2, [[False, False], [False, True]]
    )
    assert shown.splitlines()[-1] == "1  . *"


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("reveal 3 2", ("reveal", 3, 2)),
        ("Reveal 3, 2", ("reveal", 3, 2)),
        ("FLAG (0, 4)", ("flag", 0, 4)),
        ("flag -1 4", ("flag", -1, 4)),
        ("reveal 3", None),
        ("reveal 3 2 1", None),
        ("dig 3 2", None),
        ("reveal a b", None),
        ("3 2", None),
        ("", None),
    ],
)
def test_parse_command(content, expected):
    assert parse_command(content) == expected


# --- a perfect-information solver ----------------------------------------------------------------


def solve(env: Minesweeper, seed: int) -> tuple[list[float], dict]:
    """Open the centre, then reveal each hidden zero region once, then the other safe cells.

    This reads the hidden layout (``env.mines``), so it needs the fewest reveals possible.
    """
    env.reset(seed=seed)
    _, reward, terminated, _, info = env.step(f"\\boxed{{reveal {env.rows // 2} {env.cols // 2}}}")
    rewards = [reward]
    for want_zero in (True, False):
        for r in range(env.rows):
            for c in range(env.cols):
                if terminated or env.revealed[r][c] or env.mines[r][c]:
                    continue
                if want_zero and env.counts[r][c] != 0:
                    continue
                _, reward, terminated, truncated, info = env.step(f"\\boxed{{reveal {r} {c}}}")
                assert info["valid_action"] and not truncated
                rewards.append(reward)
    return rewards, info


@pytest.mark.parametrize("env_id", ["gem/Minesweeper-Easy-v0", "gem/Minesweeper-Hard-v0"])
@pytest.mark.parametrize("seed", range(10))
def test_solver_always_wins_presets_with_a_turn_per_safe_cell(env_id, seed):
    env = gym.make(env_id).unwrapped
    rewards, info = solve(env, seed)
    assert info["success"] and info["reason"] == "won"
    assert sum(rewards) == pytest.approx(1.0)
    assert all(r > 0 for r in rewards)


@pytest.mark.parametrize("env_id", ["gem/Minesweeper-v0", "gem/Minesweeper-Random-v0"])
def test_solver_wins_most_default_and_random_episodes(env_id):
    env = gym.make(env_id).unwrapped
    outcomes = []
    for seed in range(30):
        rewards, info = solve(env, seed)
        assert info["reason"] in ("won", "turn_limit")  # never a mine
        if info["success"]:
            assert sum(rewards) == pytest.approx(1.0)
        else:
            assert sum(rewards) < 1.0
        outcomes.append(info["success"])
    assert sum(outcomes) >= 25


def test_win_without_flags_and_with_flags_on_mines():
    for flag_mines in (False, True):
        env = Minesweeper(rows=5, cols=5, num_mines=5, max_turns=40)
        env.reset(seed=1)
        env.step(r"\boxed{reveal 2 2}")
        if flag_mines:
            for r in range(5):
                for c in range(5):
                    if env.mines[r][c]:
                        env.step(f"\\boxed{{flag {r} {c}}}")
        cells = [(r, c) for r in range(5) for c in range(5) if not env.mines[r][c]]
        info = {}
        for r, c in cells:
            if not env.revealed[r][c]:
                _, _, terminated, _, info = env.step(f"\\boxed{{reveal {r} {c}}}")
        assert terminated and info["success"]


# --- invalid moves, format errors, mines, turn limit ----------------------------------------------


def started_env(**kwargs) -> Minesweeper:
    """Seed 1, 8x8: the first reveal at (4, 4) leaves (0, 0) hidden."""
    env = Minesweeper(**kwargs)
    env.reset(seed=1)
    env.step(r"\boxed{reveal 4 4}")
    assert not env.revealed[0][0]
    return env


@pytest.mark.parametrize(
    ("actions", "message"),
    [
        ([r"\boxed{reveal 8 0}"], "off the board"),
        ([r"\boxed{flag 0 -1}"], "off the board"),
        ([r"\boxed{reveal 4 4}"], "already revealed"),
        ([r"\boxed{flag 4 4}"], "already revealed"),
        ([r"\boxed{flag 0 0}", r"\boxed{reveal 0 0}"], "is flagged"),
    ],
)
def test_invalid_moves_use_the_turn_and_say_why(actions, message):
    env = started_env()
    hidden_before = env.hidden_safe
    for action in actions:
        obs, reward, terminated, truncated, info = env.step(action)
    assert (reward, terminated, truncated) == (0.0, False, False)
    assert info["valid_action"] is False and not info["format_error"]
    assert info["turn"] == 1 + len(actions)
    assert message in obs
    assert env.hidden_safe == hidden_before


def test_flag_toggles():
    env = started_env()
    obs, reward, _, _, info = env.step(r"\boxed{flag 0 0}")
    assert env.flagged[0][0] and "Placed" in obs and reward == 0 and info["valid_action"]
    assert "\n0  F" in obs and "Flags placed: 1" in obs
    obs, *_ = env.step(r"\boxed{flag 0 0}")
    assert not env.flagged[0][0] and "Removed" in obs


def test_revealing_a_mine_loses():
    env = started_env()
    r, c = next((r, c) for r in range(8) for c in range(8) if env.mines[r][c])
    obs, reward, terminated, _, info = env.step(f"\\boxed{{reveal {r} {c}}}")
    assert reward == 0.0 and terminated
    assert info["success"] is False and info["reason"] == "mine"
    assert "Boom" in obs and obs.count("*") == 10


def test_flags_before_the_first_reveal_are_allowed():
    env = Minesweeper()
    env.reset(seed=0)
    _, reward, _, _, info = env.step(r"\boxed{flag 0 0}")
    assert info["valid_action"] and reward == 0.0 and env.mines is None


@pytest.mark.parametrize(
    "action", ["", "reveal 1 1", r"\boxed{}", r"\boxed{dig 1 1}", r"\boxed{reveal 1}", r"\boxed{x"]
)
def test_format_error_ends_the_episode(action):
    env = Minesweeper()
    env.reset(seed=0)
    _, reward, terminated, _, info = env.step(action)
    assert reward == pytest.approx(-0.1) and terminated
    assert info["format_error"] and info["reason"] == "format_error"


def test_turn_limit_ends_without_extra_reward():
    env = Minesweeper(max_turns=3)
    env.reset(seed=1)
    _, first, *_ = env.step(r"\boxed{reveal 4 4}")
    env.step(r"\boxed{flag 0 0}")
    _, reward, terminated, truncated, info = env.step(r"\boxed{flag 0 0}")
    assert first > 0 and reward == 0.0 and terminated and not truncated
    assert info["reason"] == "turn_limit" and info["success"] is False


def test_first_reveal_is_safe_everywhere():
    env = Minesweeper(rows=5, cols=5, num_mines=16)
    for seed in range(20):
        env.reset(seed=seed)
        cell = (seed % 5, (seed * 3) % 5)
        _, reward, _, _, info = env.step(f"\\boxed{{reveal {cell[0]} {cell[1]}}}")
        assert reward > 0 and env.counts[cell[0]][cell[1]] == 0
        assert info.get("reason") != "mine"


# --- episodes, presets, configuration -------------------------------------------------------------


def test_layout_is_seeded_and_varied():
    env = Minesweeper()
    layouts = set()
    for seed in range(20):
        env.reset(seed=seed)
        env.step(r"\boxed{reveal 4 4}")
        layouts.add(str(env.mines))
    assert len(layouts) == 20
    env.reset(seed=3)
    env.step(r"\boxed{reveal 4 4}")
    first = env.mines
    env.reset(seed=3)
    env.step(r"\boxed{reveal 4 4}")
    assert env.mines == first


def test_random_preset_resamples_the_board():
    env = gym.make("gem/Minesweeper-Random-v0").unwrapped
    sizes = set()
    for seed in range(40):
        env.reset(seed=seed)
        n = env.rows
        assert env.cols == n and env.num_mines == n * n // 5 and env.max_turns == n * n
        sizes.add(n)
    assert sizes == {5, 6, 7, 8}


@pytest.mark.parametrize(
    "kwargs", [dict(rows=0), dict(num_mines=-1), dict(rows=4, cols=4, num_mines=8)]
)
def test_bad_configuration_raises(kwargs):
    with pytest.raises(ValueError, match="Minesweeper"):
        Minesweeper(**kwargs)
