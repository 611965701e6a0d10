"""Game2048: sliding rules, the env's move paths, and an expectimax-lite player reaching 64."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import gem_gymnasium
from gem_gymnasium.envs.games.game_2048 import (
    Game2048,
    legal_moves,
    max_tile,
    move,
    render_board,
    slide_line,
    spawn_tile,
)
from gem_gymnasium.testing import check_fuzz

PRESETS = [
    "gem/Game2048-v0",
    "gem/Game2048-Easy-v0",
    "gem/Game2048-Hard-v0",
    "gem/Game2048-Extreme-v0",
    "gem/Game2048-Random-v0",
]

# --- an expectimax-lite player: snake-shaped weights, one chance layer of 2-tiles ---------------

WEIGHTS = [
    [4**15, 4**14, 4**13, 4**12],
    [4**8, 4**9, 4**10, 4**11],
    [4**7, 4**6, 4**5, 4**4],
    [1, 4, 16, 64],
]


def heuristic(board) -> float:
    return sum(WEIGHTS[r][c] * v for r, row in enumerate(board) for c, v in enumerate(row))


def expected_value(board) -> float:
    """Mean over the cells a 2 may appear in of the best greedy follow-up."""
    empty = [(r, c) for r, row in enumerate(board) for c, v in enumerate(row) if not v]
    total = 0.0
    for r, c in empty:
        filled = tuple(
            tuple(2 if (i, j) == (r, c) else v for j, v in enumerate(row))
            for i, row in enumerate(board)
        )
        total += max((heuristic(move(filled, d)) for d in legal_moves(filled)), default=0.0)
    return total / max(1, len(empty))


def policy(board) -> str:
    return max(legal_moves(board), key=lambda d: expected_value(move(board, d)))


# --- rules ---------------------------------------------------------------------------------------

SLIDES = [
    ((0, 0, 0, 0), (0, 0, 0, 0)),
    ((2, 0, 0, 0), (2, 0, 0, 0)),
    ((0, 0, 0, 2), (2, 0, 0, 0)),
    ((2, 2, 0, 0), (4, 0, 0, 0)),
    ((2, 2, 2, 0), (4, 2, 0, 0)),
    ((2, 2, 2, 2), (4, 4, 0, 0)),
    ((4, 4, 8, 8), (8, 16, 0, 0)),
    ((2, 0, 2, 4), (4, 4, 0, 0)),  # a merged tile does not merge again in the same move
    ((8, 4, 2, 2), (8, 4, 4, 0)),
    ((2, 4, 2, 4), (2, 4, 2, 4)),
]


@pytest.mark.parametrize(("line", "expected"), SLIDES)
def test_slide_line(line, expected):
    assert slide_line(line) == expected


def test_move_in_every_direction():
    board = ((2, 2, 0, 0), (0, 0, 0, 0), (2, 0, 0, 4), (0, 0, 0, 4))
    assert move(board, "left") == ((4, 0, 0, 0), (0, 0, 0, 0), (2, 4, 0, 0), (4, 0, 0, 0))
    assert move(board, "right") == ((0, 0, 0, 4), (0, 0, 0, 0), (0, 0, 2, 4), (0, 0, 0, 4))
    assert move(board, "up") == ((4, 2, 0, 8), (0, 0, 0, 0), (0, 0, 0, 0), (0, 0, 0, 0))
    assert move(board, "down") == ((0, 0, 0, 0), (0, 0, 0, 0), (0, 0, 0, 0), (4, 2, 0, 8))
    with pytest.raises(ValueError, match="direction"):
        move(board, "north")


def test_legal_moves_and_dead_board():
    assert legal_moves(((2, 0), (0, 0))) == ["down", "right"]
    assert legal_moves(((2, 4), (4, 2))) == []


def test_spawn_tile_probabilities_and_placement():
    rng = np.random.default_rng(0)
    board = ((0, 0), (0, 8))
    values = []
    for _ in range(2000):
        after = spawn_tile(board, rng)
        assert after[1][1] == 8 and sum(v == 0 for row in after for v in row) == 2
        values.append(max(v for row in after for v in row if v != 8))
    assert 0.87 < values.count(2) / len(values) < 0.93
    full = ((2, 4), (4, 2))
    assert spawn_tile(full, rng) == full


def test_render_board_aligns_tiles():
    text = render_board(((2, 0), (1024, 16)))
    assert text.splitlines() == ["   2    .", "1024   16"]
    assert max_tile(((2, 0), (1024, 16))) == 1024


# --- the environment -----------------------------------------------------------------------------


def test_gem_aliases():
    assert gem_gymnasium.make("game:Game2048-v0-extreme-hard").spec.id == "gem/Game2048-Extreme-v0"
    assert gem_gymnasium.make("game:Game2048-v0-easy").spec.id == "gem/Game2048-Easy-v0"


def play_episode(env, seed):
    env.reset(seed=seed)
    total, terminated, info = 0.0, False, {}
    while not terminated:
        _, reward, terminated, truncated, info = env.step(
            f"I go \\boxed{{{policy(env.unwrapped.board)}}}"
        )
        assert info["valid_action"] and not truncated
        total += reward
    return total, info


def test_expectimax_lite_reaches_the_easy_target_in_most_seeds():
    env = gym.make("gem/Game2048-Easy-v0")
    wins = 0
    for seed in range(16):
        total, info = play_episode(env, seed)
        if info["success"]:
            wins += 1
            assert info["reason"] == "won" and total == pytest.approx(1.0)
            assert max_tile(env.unwrapped.board) == 64
        else:
            assert total < 1.0
    assert wins >= 12


def test_random_preset_wins_pay_one_and_draw_every_candidate():
    env = gym.make("gem/Game2048-Random-v0")
    seen = set()
    for seed in range(12):
        total, info = play_episode(env, seed)
        seen.add((env.unwrapped.target_tile, env.unwrapped.max_turns))
        if info["success"]:
            assert total == pytest.approx(1.0)
    assert seen == {(16, 20), (32, 30), (64, 50)}


def _with_board(board, **kwargs):
    env = gym.make("gem/Game2048-Easy-v0", **kwargs)
    env.reset(seed=0)
    u = env.unwrapped
    u.board = board
    u.start_max = 2
    u.best = min(max_tile(board), u.target_tile)
    return env, u


def test_progress_reward_is_the_fraction_of_doublings():
    env, u = _with_board(((8, 8, 0, 0), (0, 0, 0, 0), (0, 0, 0, 0), (0, 0, 0, 0)))
    _, reward, terminated, _, info = env.step(r"\boxed{LEFT}")
    assert info["valid_action"] and not terminated
    assert reward == pytest.approx(1 / 5)  # 8 -> 16 is one doubling of the five from 2 to 64
    assert u.board[0][0] == 16
    # Beyond the target the reward is capped: 32+32 -> 64 pays the last fifth and wins.
    env, u = _with_board(((32, 32, 0, 0), (0, 0, 0, 0), (0, 0, 0, 0), (0, 0, 0, 0)))
    _, reward, terminated, _, info = env.step(r"\boxed{right}")
    assert reward == pytest.approx(1 / 5) and terminated and info["success"]


def test_move_that_changes_nothing_is_invalid():
    board = ((2, 4, 8, 16), (0, 0, 0, 0), (0, 0, 0, 0), (0, 0, 0, 0))
    env, u = _with_board(board)
    obs, reward, terminated, _, info = env.step(r"\boxed{up}")
    assert reward == 0.0 and not terminated and not info["valid_action"] and info["turn"] == 1
    assert "changes nothing" in obs and "down" in obs.split("\n\n")[0]
    assert u.board == board


def test_no_legal_move_ends_the_episode():
    board = ((2, 4, 2, 4), (4, 2, 4, 2), (2, 4, 2, 8), (0, 8, 16, 32))
    env, u = _with_board(board)
    obs, reward, terminated, _, info = env.step(r"\boxed{left}")
    assert terminated and info["reason"] == "no_moves" and info["success"] is False
    assert reward == 0.0 and legal_moves(u.board) == []
    assert "No move can change the board" in obs


@pytest.mark.parametrize("action", ["up", r"\boxed{north}", r"\boxed{up left}", r"\boxed{}", ""])
def test_format_errors_end_the_episode(action):
    env = gym.make("gem/Game2048-Easy-v0")
    env.reset(seed=0)
    _, reward, terminated, _, info = env.step(action)
    assert reward == pytest.approx(-0.1) and terminated and info["format_error"]
    assert info["reason"] == "format_error"


def test_turn_limit_adds_nothing():
    env = gym.make("gem/Game2048-Easy-v0", max_turns=4)
    env.reset(seed=1)
    u = env.unwrapped
    total = 0.0
    for turn in range(1, 5):
        _, reward, terminated, truncated, info = env.step(u.sample_random_action())
        total += reward
        assert terminated == (turn == 4) and not truncated
    assert info["reason"] == "turn_limit" and not info["success"]
    expected = (np.log2(u.best) - np.log2(u.start_max)) / (np.log2(64) - np.log2(u.start_max))
    assert total == pytest.approx(expected)


def test_observation_shows_board_and_legal_moves():
    env = gym.make("gem/Game2048-Easy-v0")
    obs, _ = env.reset(seed=2)
    u = env.unwrapped
    assert render_board(u.board) in obs and "Moves that change the board:" in obs
    assert "target 64" in obs and "50 turns" in obs


def test_same_seed_same_trajectory():
    def run(seed):
        env = gym.make("gem/Game2048-Hard-v0")
        obs, _ = env.reset(seed=seed)
        trace = [obs]
        for action in ["up", "left", "down", "right"] * 5:
            trace.append(env.step(rf"\boxed{{{action}}}")[:2])
        return trace

    assert run(5) == run(5)
    assert run(5) != run(6)


def test_sample_random_action_is_legal():
    env = gym.make("gem/Game2048-v0")
    env.reset(seed=3)
    u = env.unwrapped
    u.action_space.seed(3)
    for _ in range(100):
        action = u.sample_random_action()
        assert u.parse_move(u.extract_answer(action)) in legal_moves(u.board)
        _, _, terminated, _, info = env.step(action)
        assert info["valid_action"]
        if terminated:
            break


def test_constructor_validation():
    for bad in (100, 4, 0):
        with pytest.raises(ValueError, match="target_tile"):
            Game2048(target_tile=bad)
    with pytest.raises(ValueError, match="size"):
        Game2048(size=1)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.text(max_size=30) | st.sampled_from([r"\boxed{up}", r"\boxed{Left}", r"\boxed{x}"]),
        max_size=40,
    )
)
def test_fuzzed_actions_never_crash(actions):
    # Format errors do not end the episode here, so the fuzz reaches deep into the game.
    check_fuzz("gem/Game2048-Easy-v0", actions, end_on_format_error=False, max_turns=1000)
