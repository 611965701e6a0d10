"""Mastermind: peg scoring, parsing, a consistent-guess solver, invalid moves and the turn limit."""

from __future__ import annotations

import itertools
import re

import gymnasium as gym
import pytest
from hypothesis import given
from hypothesis import strategies as st

import gem_gymnasium  # noqa: F401  (registers the ids)
from gem_gymnasium.envs.games.mastermind import (
    RANDOM_PRESETS,
    Mastermind,
    format_code,
    parse_code,
    score_guess,
)

IDS = ["gem/Mastermind-v0", "gem/Mastermind-Easy-v0", "gem/Mastermind-Hard-v0"]
IDS_ALL = [*IDS, "gem/Mastermind-Random-v0"]


# --- rules ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("secret", "guess", "pegs"),
    [
        ((1, 2, 3, 4), (1, 2, 3, 4), (4, 0)),
        ((1, 2, 3, 4), (4, 3, 2, 1), (0, 4)),
        ((1, 2, 3, 4), (5, 6, 5, 6), (0, 0)),
        ((1, 2, 3, 4), (1, 3, 2, 6), (1, 2)),
        ((1, 2, 3, 4), (1, 1, 1, 1), (1, 0)),
        ((1, 1, 2, 2), (1, 2, 1, 1), (1, 2)),
        ((1, 1, 2, 2), (2, 2, 1, 1), (0, 4)),
        ((3, 4), (4, 3), (0, 2)),
    ],
)
def test_score_guess_table(secret, guess, pegs):
    assert score_guess(secret, guess) == pegs


codes = st.integers(1, 6).flatmap(
    lambda n: st.tuples(
        st.lists(st.integers(1, 8), min_size=n, max_size=n),
        st.lists(st.integers(1, 8), min_size=n, max_size=n),
    )
)


@given(codes)
def test_score_guess_properties(pair):
    secret, guess = pair
    black, white = score_guess(secret, guess)
    assert black >= 0 and white >= 0 and black + white <= len(secret)
    assert (black == len(secret)) == (secret == guess)
    assert score_guess(guess, secret) == (black, white)  # symmetric
    # The numbers in common do not depend on their order.
    assert black + white == sum(score_guess(sorted(secret), sorted(guess)))


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("3 1 4 2", (3, 1, 4, 2)),
        (" 3, 1, 4, 2 ", (3, 1, 4, 2)),
        ("3142", (3, 1, 4, 2)),
        ("31", (31,)),  # not code_length digits: one number (then invalid: wrong length)
        ("0 1 2 3", (0, 1, 2, 3)),
        ("1 2 3 4 5", (1, 2, 3, 4, 5)),
        ("", None),
        ("one two", None),
        ("1 2 x 4", None),
        ("1.5 2 3 4", None),
    ],
)
def test_parse_code(content, expected):
    assert parse_code(content, 4, 6) == expected


def test_parse_code_digit_run_needs_single_digit_numbers():
    assert parse_code("1012", 4, 12) == (1012,)


# --- a consistent-guess solver -------------------------------------------------------------------


def solve(env: Mastermind, seed: int) -> tuple[list[float], dict]:
    """Guess the first code consistent with every answer so far (never repeats a guess)."""
    env.reset(seed=seed)
    symbols = range(1, env.num_numbers + 1)
    candidates = list(itertools.permutations(symbols, env.code_length))
    rewards, info, terminated = [], {}, False
    while not terminated:
        guess = candidates[0]
        obs, reward, terminated, truncated, info = env.step(
            f"I'll try \\boxed{{{format_code(guess)}}}"
        )
        assert not truncated and info["valid_action"]
        rewards.append(reward)
        if not terminated:  # read the pegs from the observation only
            match = re.search(r"gets (\d+) black and (\d+) white", obs)
            pegs = (int(match[1]), int(match[2]))
            candidates = [c for c in candidates if score_guess(c, guess) == pegs]
    return rewards, info


@pytest.mark.parametrize("env_id", IDS_ALL)
@pytest.mark.parametrize("seed", range(8))
def test_solver_wins_and_rewards_sum_to_one(env_id, seed):
    env = gym.make(env_id).unwrapped
    rewards, info = solve(env, seed)
    assert info["success"] and info["reason"] == "won"
    assert sum(rewards) == pytest.approx(1.0)
    assert all(r >= 0 for r in rewards)
    assert len(rewards) <= env.max_turns


def test_reward_pays_each_rise_of_the_best_black_count():
    env = Mastermind(code_length=4, num_numbers=6)
    env.reset(seed=0)
    env.secret = (1, 2, 3, 4)
    steps = [("5 6 5 6", 0.0), ("1 5 6 5", 0.25), ("5 5 5 5", 0.0), ("1 2 3 5", 0.5)]
    steps += [("1 2 5 6", 0.0), ("1 2 3 4", 0.25)]
    for guess, expected in steps:
        _, reward, terminated, _, info = env.step(f"\\boxed{{{guess}}}")
        assert reward == pytest.approx(expected)
    assert terminated and info["success"]


# --- invalid moves, format errors, turn limit -----------------------------------------------------


@pytest.mark.parametrize(
    ("action", "message"),
    [
        (r"\boxed{1 2 3}", "has 3 numbers"),
        (r"\boxed{1 2 3 4 5}", "has 5 numbers"),
        (r"\boxed{1 2 3 7}", "between 1 and 6"),
        (r"\boxed{0 1 2 3}", "between 1 and 6"),
        (r"\boxed{1 2 3 -4}", "between 1 and 6"),
        (r"\boxed{99999999999999999 1 2 3}", "between 1 and 6"),
        (r"\boxed{5 6 5 6}", "already guessed"),  # repeats the first move of the test
    ],
)
def test_invalid_guess_uses_the_turn_and_says_why(action, message):
    env = Mastermind()
    env.reset(seed=3)
    env.secret = (1, 2, 3, 4)
    env.step(r"\boxed{5 6 5 6}")
    obs, reward, terminated, truncated, info = env.step(action)
    assert (reward, terminated, truncated) == (0.0, False, False)
    assert info["valid_action"] is False and info["format_error"] is False
    assert info["turn"] == 2
    assert message in obs


@pytest.mark.parametrize(
    "action", ["", "1 2 3 4", r"\boxed{}", r"\boxed{a b c d}", r"\boxed{1 2 3 4", r"\boxed{1/2}"]
)
def test_format_error_ends_the_episode(action):
    env = Mastermind()
    env.reset(seed=0)
    obs, reward, terminated, _, info = env.step(action)
    assert reward == pytest.approx(-0.1) and terminated
    assert info["format_error"] and info["reason"] == "format_error" and not info["success"]
    assert "Format error" in obs


def test_format_error_can_continue():
    env = Mastermind(format_error_reward=-0.5, end_on_format_error=False)
    env.reset(seed=0)
    _, reward, terminated, _, info = env.step("no box")
    assert reward == -0.5 and not terminated and info["format_error"]


def test_only_the_last_box_counts():
    env = Mastermind()
    env.reset(seed=0)
    env.secret = (1, 2, 3, 4)
    _, reward, terminated, _, info = env.step(r"\boxed{5 6 5 6} no wait \boxed{1 2 3 4}")
    assert reward == 1.0 and terminated and info["success"]


def test_turn_limit_ends_without_extra_reward():
    env = Mastermind(code_length=2, num_numbers=6, max_turns=3)
    env.reset(seed=0)
    env.secret = (1, 2)
    results = [env.step(f"\\boxed{{{g}}}") for g in ("3 4", "1 5", "5 6")]
    assert [r[1] for r in results] == [0.0, 0.5, 0.0]
    _, _, terminated, truncated, info = results[-1]
    assert terminated and not truncated
    assert info["reason"] == "turn_limit" and info["success"] is False
    assert "The secret code was 1 2" in results[-1][0]


def test_win_on_the_last_turn_counts():
    env = Mastermind(code_length=2, num_numbers=6, max_turns=2)
    env.reset(seed=0)
    env.secret = (1, 2)
    env.step(r"\boxed{3 4}")
    _, reward, terminated, _, info = env.step(r"\boxed{1 2}")
    assert reward == 1.0 and terminated and info["success"] and info["reason"] == "won"


# --- episodes, presets, rendering, configuration --------------------------------------------------


def test_secret_has_no_repeats_by_default_and_is_seeded():
    env = Mastermind()
    secrets = set()
    for seed in range(50):
        env.reset(seed=seed)
        assert len(set(env.secret)) == 4 and all(1 <= d <= 6 for d in env.secret)
        secrets.add(env.secret)
    assert len(secrets) > 30
    env.reset(seed=7)
    first = env.secret
    env.reset(seed=7)
    assert env.secret == first


def test_duplicate_numbers_allows_repeats():
    env = Mastermind(code_length=4, num_numbers=3, duplicate_numbers=True)
    seen_repeat = False
    for seed in range(20):
        env.reset(seed=seed)
        seen_repeat |= len(set(env.secret)) < 4
    assert seen_repeat


def test_random_preset_draws_from_the_candidates():
    env = gym.make("gem/Mastermind-Random-v0").unwrapped
    seen = set()
    for seed in range(40):
        obs, _ = env.reset(seed=seed)
        preset = (env.code_length, env.num_numbers, env.max_turns)
        assert preset in RANDOM_PRESETS
        assert f"{env.max_turns} guesses" in obs
        seen.add(preset)
    assert seen == set(RANDOM_PRESETS)


def test_render_shows_the_history():
    env = Mastermind(render_mode="ansi")
    env.reset(seed=0)
    env.step(r"\boxed{1 2 3 4}")
    assert "1. 1 2 3 4 ->" in env.render()


@pytest.mark.parametrize(
    "kwargs",
    [dict(code_length=0), dict(num_numbers=0), dict(code_length=5, num_numbers=4)],
)
def test_bad_configuration_raises(kwargs):
    with pytest.raises(ValueError, match="Mastermind"):
        Mastermind(**kwargs)
