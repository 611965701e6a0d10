"""TowerOfHanoi: move rules, the optimal recursive solver, invalid moves and the turn limit."""

from __future__ import annotations

import gymnasium as gym
import pytest
from hypothesis import given
from hypothesis import strategies as st

import gem_gymnasium  # noqa: F401  (registers the ids)
from gem_gymnasium.envs.games.tower_of_hanoi import (
    RANDOM_PRESETS,
    TowerOfHanoi,
    check_move,
    legal_moves,
    parse_peg_move,
    render_pegs,
)

IDS_ALL = [
    "gem/TowerOfHanoi-v0",
    "gem/TowerOfHanoi-Easy-v0",
    "gem/TowerOfHanoi-Hard-v0",
    "gem/TowerOfHanoi-Random-v0",
]


def optimal_moves(n: int, source: str = "A", target: str = "C", spare: str = "B"):
    """The classic recursion: 2**n - 1 moves."""
    if n == 0:
        return []
    return [
        *optimal_moves(n - 1, source, spare, target),
        (source, target),
        *optimal_moves(n - 1, spare, target, source),
    ]


# --- rules ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("A C", ("A", "C")),
        ("a c", ("A", "C")),
        ("A,C", ("A", "C")),
        ("b -> a", ("B", "A")),
        ("B→A", ("B", "A")),
        ("AC", ("A", "C")),
        ("from A to C", ("A", "C")),
        ("move peg A to peg C", ("A", "C")),
        ("A A", ("A", "A")),  # parses; the move is then invalid
        ("A D", None),
        ("A", None),
        ("A B C", None),
        ("ABC", None),
        ("1 3", None),
        ("", None),
    ],
)
def test_parse_peg_move(content, expected):
    assert parse_peg_move(content) == expected


def test_parse_hostile_input():
    # A backtracking regex would take hours here; splitting into words is linear.
    assert parse_peg_move("A" + " " * 1_000_000 + "x") is None
    assert parse_peg_move("A" + " ," * 100_000 + "C") == ("A", "C")


@pytest.mark.parametrize(
    ("pegs", "move", "problem"),
    [
        ({"A": [3, 2, 1], "B": [], "C": []}, ("A", "C"), None),
        ({"A": [3, 2, 1], "B": [], "C": []}, ("B", "C"), "peg B is empty"),
        ({"A": [3, 2, 1], "B": [], "C": []}, ("A", "A"), "both peg A"),
        ({"A": [3, 2], "B": [], "C": [1]}, ("A", "C"), "disk 2 on peg A is larger than disk 1"),
        ({"A": [3], "B": [2], "C": [1]}, ("C", "B"), None),
    ],
)
def test_check_move(pegs, move, problem):
    result = check_move(pegs, *move)
    assert result == problem if problem is None else problem in result


def test_legal_moves_and_render():
    pegs = {"A": [3, 2], "B": [], "C": [1]}
    assert legal_moves(pegs) == [("A", "B"), ("C", "A"), ("C", "B")]
    assert render_pegs(pegs) == "A: 3 2\nB: (empty)\nC: 1"


@given(st.integers(1, 6), st.lists(st.sampled_from(["A", "B", "C"]), min_size=2, max_size=80))
def test_random_play_keeps_every_peg_sorted(n, letters):
    env = TowerOfHanoi(num_disks=n, max_turns=100, end_on_format_error=False)
    env.reset(seed=0)
    for source, target in zip(letters[::2], letters[1::2], strict=False):
        if env.done:
            break
        env.step(f"\\boxed{{{source} {target}}}")
        disks = [d for peg in env.pegs.values() for d in peg]
        assert sorted(disks) == list(range(1, n + 1))
        assert all(peg == sorted(peg, reverse=True) for peg in env.pegs.values())


# --- the optimal solver ---------------------------------------------------------------------------


@pytest.mark.parametrize("env_id", IDS_ALL)
@pytest.mark.parametrize("seed", range(4))
def test_optimal_solver_wins_within_the_turn_limit(env_id, seed):
    env = gym.make(env_id).unwrapped
    env.reset(seed=seed)
    moves = optimal_moves(env.num_disks)
    assert len(moves) == 2**env.num_disks - 1 <= env.max_turns
    rewards = []
    for i, (source, target) in enumerate(moves):
        obs, reward, terminated, truncated, info = env.step(f"Next: \\boxed{{{source} {target}}}")
        rewards.append(reward)
        assert info["valid_action"] and not truncated
        assert terminated == (i == len(moves) - 1)
    assert info["success"] and info["reason"] == "won"
    assert sum(rewards) == 1.0 and rewards[-1] == 1.0
    assert "C: " + " ".join(str(d) for d in range(env.num_disks, 0, -1)) in obs


def test_win_on_the_last_turn_counts():
    env = TowerOfHanoi(num_disks=2, max_turns=3)
    env.reset(seed=0)
    for source, target in optimal_moves(2):
        _, reward, terminated, _, info = env.step(f"\\boxed{{{source} {target}}}")
    assert reward == 1.0 and terminated and info["success"] and info["reason"] == "won"


# --- invalid moves, format errors, turn limit -----------------------------------------------------


@pytest.mark.parametrize(
    ("action", "message"),
    [
        (r"\boxed{B C}", "peg B is empty"),
        (r"\boxed{C C}", "both peg C"),
        (r"\boxed{A A}", "both peg A"),
        (r"\boxed{A C}", "larger than disk 1"),  # after the first move A C
    ],
)
def test_invalid_moves_use_the_turn_and_say_why(action, message):
    env = TowerOfHanoi()
    env.reset(seed=0)
    env.step(r"\boxed{A C}")
    before = {peg: list(disks) for peg, disks in env.pegs.items()}
    obs, reward, terminated, truncated, info = env.step(action)
    assert (reward, terminated, truncated) == (0.0, False, False)
    assert info["valid_action"] is False and not info["format_error"] and info["turn"] == 2
    assert message in obs
    assert env.pegs == before


@pytest.mark.parametrize("action", ["", "A C", r"\boxed{}", r"\boxed{A D}", r"\boxed{1 3}"])
def test_format_error_ends_the_episode(action):
    env = TowerOfHanoi()
    env.reset(seed=0)
    _, reward, terminated, _, info = env.step(action)
    assert reward == pytest.approx(-0.1) and terminated
    assert info["format_error"] and info["reason"] == "format_error"


@pytest.mark.parametrize(
    ("moves", "expected"),
    [
        (["A C"], 1 / 3),
        (["A B"], 0.0),
        (["A C", "A B", "C B", "A C"], 1 / 3),
        (["A C", "A B", "C B", "A C", "B A", "B C"], 2 / 3),
        (["A C", "A C"], 1 / 3),  # the last move is invalid: the pegs count as they are
    ],
)
def test_turn_limit_pays_the_fraction_of_disks_on_c(moves, expected):
    env = TowerOfHanoi(num_disks=3, max_turns=len(moves))
    env.reset(seed=0)
    for move in moves:
        _, reward, terminated, truncated, info = env.step(f"\\boxed{{{move}}}")
    assert reward == pytest.approx(expected)
    assert terminated and not truncated
    assert info["reason"] == "turn_limit" and info["success"] is False


# --- presets, rendering, configuration ------------------------------------------------------------


def test_random_preset_draws_from_the_candidates():
    env = gym.make("gem/TowerOfHanoi-Random-v0").unwrapped
    seen = set()
    for seed in range(30):
        obs, _ = env.reset(seed=seed)
        seen.add((env.num_disks, env.max_turns))
        assert env.pegs["A"] == list(range(env.num_disks, 0, -1))
        assert f"{env.num_disks} disks" in obs and f"{env.max_turns} moves" in obs
    assert seen == set(RANDOM_PRESETS)


def test_render_shows_the_pegs():
    env = TowerOfHanoi(render_mode="ansi")
    env.reset(seed=0)
    assert "A: 3 2 1\nB: (empty)\nC: (empty)" in env.render()


def test_bad_configuration_raises():
    with pytest.raises(ValueError, match="TowerOfHanoi"):
        TowerOfHanoi(num_disks=0)
