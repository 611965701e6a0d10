"""WordSearch: placement, lines in either direction paying once, invalid moves, solvers."""

from __future__ import annotations

import re

import gymnasium as gym
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import gem_gymnasium  # noqa: F401  (registers the ids)
from gem_gymnasium.envs.games.word_search import (
    MAX_LENGTH,
    MIN_LENGTH,
    WordSearch,
    candidate_words,
    choose_words,
    place_words,
    read_segment,
    segment_cells,
    undirected,
)

IDS = [
    "gem/WordSearch-v0",
    "gem/WordSearch-Easy-v0",
    "gem/WordSearch-Hard-v0",
    "gem/WordSearch-Random-v0",
]


# --- rules ---------------------------------------------------------------------------------------


def test_segments():
    grid = ["ABC", "DEF", "GHI"]
    assert segment_cells((0, 0, 0, 2)) == [(0, 0), (0, 1), (0, 2)]
    assert segment_cells((2, 1, 0, 1)) == [(2, 1), (1, 1), (0, 1)]
    assert segment_cells((1, 1, 1, 1)) == [(1, 1)]
    assert read_segment(grid, (0, 2, 0, 0)) == "CBA"
    assert read_segment(grid, (0, 2, 2, 2)) == "CFI"
    assert undirected((2, 1, 0, 1)) == (0, 1, 2, 1) == undirected((0, 1, 2, 1))


def test_pools():
    common, rarer = set(candidate_words(False)), set(candidate_words(True))
    assert len(common) > 2000 and len(rarer) > 2000 and not common & rarer
    assert all(MIN_LENGTH <= len(w) <= MAX_LENGTH and w.isupper() for w in common | rarer)


@given(seed=st.integers(0, 2**32 - 1), count=st.integers(1, 10), hard=st.booleans())
def test_chosen_words_never_contain_each_other(seed, count, hard):
    words = choose_words(candidate_words(hard), count, np.random.default_rng(seed))
    assert len(set(words)) == count
    for a in words:
        for b in words:
            assert a == b or (a not in b and a[::-1] not in b)


@given(seed=st.integers(0, 2**32 - 1))
def test_placed_words_read_back(seed):
    rng = np.random.default_rng(seed)
    words = choose_words(candidate_words(False), 5, rng)
    placed = place_words(words, 12, rng)
    assert placed is not None and set(placed) == set(words)
    letters = {}
    for word, (r, c, direction) in placed.items():
        cells = [(r, c + i) if direction == "across" else (r + i, c) for i in range(len(word))]
        for cell, letter in zip(cells, word, strict=True):
            assert 0 <= cell[0] < 12 and 0 <= cell[1] < 12
            assert letters.setdefault(cell, letter) == letter  # shared cells agree


# --- env -----------------------------------------------------------------------------------------


def make(**kwargs) -> WordSearch:
    seed = kwargs.pop("seed", 0)
    env = WordSearch(**kwargs)
    env.reset(seed=seed)
    return env


def segment_of(env: WordSearch, word: str) -> tuple[int, int, int, int]:
    r, c, direction = env.placements[word]
    end = (r, c + len(word) - 1) if direction == "across" else (r + len(word) - 1, c)
    return r, c, *end


def box(segment) -> str:
    return rf"\boxed{{{' '.join(map(str, segment))}}}"


def test_reversed_coordinates_pay_once():
    env = make()
    word = env.words[0]
    r1, c1, r2, c2 = segment_of(env, word)
    _, first, *_ = env.step(box((r2, c2, r1, c1)))
    obs, second, _, _, info = env.step(box((r1, c1, r2, c2)))
    assert first == pytest.approx(1 / env.num_words) and second == 0.0
    assert not info["valid_action"] and f"already found {word}" in obs


def miss(env: WordSearch) -> tuple[int, int, int, int]:
    """An across line of three cells that is no hidden word."""
    for r in range(len(env.grid)):
        text = read_segment(env.grid, (r, 0, r, 2))
        if text not in env.words and text[::-1] not in env.words:
            return r, 0, r, 2
    raise AssertionError("no miss found")


def test_moves_table():
    env = make()
    size = len(env.grid)
    word = env.words[0]
    hit = segment_of(env, word)
    r1, c1, r2, c2 = miss(env)
    table = [
        # (segment, reward, valid, message)
        ((r1, c1, r2, c2), 0.0, True, "No hidden word"),
        ((r2, c2, r1, c1), 0.0, False, "already tried"),
        ((0, 0, 2, 2), 0.0, False, "diagonal"),
        ((0, 0, 0, size), 0.0, False, "leaves the grid"),
        ((-1, 0, 0, 0), 0.0, False, "leaves the grid"),
        (hit, 1 / env.num_words, True, f"found {word}"),
        (hit, 0.0, False, "already found"),
    ]
    for segment, reward, valid, message in table:
        obs, got, terminated, _, info = env.step(box(segment))
        assert got == pytest.approx(reward), segment
        assert info["valid_action"] is valid and not info["format_error"], segment
        assert message in obs and not terminated, segment
    assert f"[{word[0]}]" in obs and "Words remaining: 4" in obs


@pytest.mark.parametrize(
    "action", ["1 2 3 4", r"\boxed{1 2 3}", r"\boxed{1 2 3 4 5}", r"\boxed{a b c d}", r"\boxed{}"]
)
def test_format_errors(action):
    env = make()
    _, reward, terminated, _, info = env.step(action)
    assert reward == pytest.approx(-0.1) and terminated and info["format_error"]


def test_punctuation_in_coordinates_is_accepted():
    env = make()
    r1, c1, r2, c2 = segment_of(env, env.words[0])
    _, reward, *_ = env.step(rf"\boxed{{({r1}, {c1}), ({r2}, {c2})}}")
    assert reward == pytest.approx(1 / env.num_words)


def test_prompt_lists_remaining_words_only_when_asked():
    hidden, shown = make(), make(show_words=True)
    assert "Words remaining: 5" in hidden.describe_state()
    assert not any(w in hidden.describe_state() for w in hidden.words)
    state = shown.describe_state()
    assert "Words remaining (5): " + ", ".join(sorted(shown.words)) in state


def test_turn_limit():
    env = make(max_turns=1)
    _, reward, terminated, truncated, info = env.step(box(miss(env)))
    assert reward == 0.0 and terminated and not truncated
    assert info["reason"] == "turn_limit" and not info["success"]


def test_random_preset_draws_both_pools():
    env = gym.make("gem/WordSearch-Random-v0").unwrapped
    seen = set()
    for seed in range(20):
        env.reset(seed=seed)
        seen.add(env.hard)
        pool = set(candidate_words(env.hard))
        assert set(env.words) <= pool
    assert seen == {False, True}


def test_sample_random_action_is_a_straight_line_inside_the_grid():
    env = make()
    env.action_space.seed(0)
    size = len(env.grid)
    for _ in range(50):
        r1, c1, r2, c2 = env.parse_move(env.extract_answer(env.sample_random_action()))
        assert all(0 <= x < size for x in (r1, c1, r2, c2))
        assert r1 == r2 or c1 == c2


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 1000), picks=st.lists(st.integers(0, 10**6), max_size=40))
def test_rewards_never_exceed_one(seed, picks):
    env = make(seed=seed, end_on_format_error=False, max_turns=100)
    size = len(env.grid)
    hits = [segment_of(env, w) for w in env.words]
    total = 0.0
    for pick in picks:
        if pick % 3 == 0:
            r1, c1, r2, c2 = hits[pick % len(hits)]
            segment = (r2, c2, r1, c1) if pick % 2 else (r1, c1, r2, c2)
        else:
            segment = tuple(pick // size**i % size for i in range(4))
        _, reward, terminated, _, _ = env.step(box(segment))
        total += reward
        if terminated:
            break
    assert total <= 1.0 + 1e-9


# --- solvers -------------------------------------------------------------------------------------


def lines(grid: list[str]):
    """Every across and down segment of 4+ cells, longest first, read forwards."""
    size = len(grid)
    segments = []
    for length in range(MAX_LENGTH, MIN_LENGTH - 1, -1):
        for fixed in range(size):
            for start in range(size - length + 1):
                segments.append((fixed, start, fixed, start + length - 1))
                segments.append((start, fixed, start + length - 1, fixed))
    return segments


def solve(env: WordSearch, obs: str) -> list[str]:
    """With the word list shown, search for those words; otherwise for any pool word."""
    shown = re.search(r"Words remaining \(\d+\): (.+)", obs)
    targets = set(shown.group(1).split(", ")) if shown else set(candidate_words(env.hard))
    return [
        box(segment) for segment in lines(env.grid) if read_segment(env.grid, segment) in targets
    ]


@pytest.mark.parametrize("env_id", IDS)
def test_solver_wins_and_rewards_sum_to_one(env_id):
    env = gym.make(env_id)
    for seed in range(10):
        obs, _ = env.reset(seed=seed)
        total, terminated, info = 0.0, False, {}
        for action in solve(env.unwrapped, obs):
            _, reward, terminated, _, info = env.step(action)
            total += reward
            if terminated:
                break
        assert info["success"], (env_id, seed)
        assert total == pytest.approx(1.0)
