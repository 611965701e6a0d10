"""Hangman: rewards that sum to 1.0, the last letter wins, invalid guesses, prompt examples."""

from __future__ import annotations

import math
import re
from collections import Counter

import gymnasium as gym
import pytest

import gem_gymnasium  # noqa: F401  (registers the ids)
from gem_gymnasium.envs.games.hangman import (
    EXAMPLE_WORDS,
    RANDOM_CHOICES,
    Hangman,
    pattern,
    reveal,
)
from gem_gymnasium.envs.games.word_data import words_of_length

IDS = ["gem/Hangman-v0", "gem/Hangman-Easy-v0", "gem/Hangman-Hard-v0", "gem/Hangman-Random-v0"]


def make(secret: str | None = None, **kwargs) -> Hangman:
    env = Hangman(**kwargs)
    env.reset(seed=0)
    if secret is not None:
        env.secret = secret
    return env


def play(env: Hangman, *guesses: str) -> list[tuple]:
    return [env.step(rf"\boxed{{{g}}}") for g in guesses]


# --- rules ---------------------------------------------------------------------------------------


def test_reveal_and_pattern():
    revealed = [False] * 5
    assert reveal("APPLE", revealed, "P") == 2
    assert pattern("APPLE", revealed) == "_ P P _ _"
    assert reveal("APPLE", revealed, "P") == 0
    assert reveal("APPLE", revealed, "Z") == 0


# --- rewards -------------------------------------------------------------------------------------


def test_letters_pay_by_copies_and_the_last_letter_wins():
    env = make("APPLE")
    steps = play(env, "P", "Z", "A", "L", "E")
    rewards = [s[1] for s in steps]
    assert rewards == pytest.approx([0.2, 0.0, 0.1, 0.1, 0.1 + 0.5])
    assert sum(rewards) == pytest.approx(1.0)
    _, _, terminated, _, info = steps[-1]
    assert terminated and info["success"] and info["reason"] == "won"


def test_guessing_the_word_pays_the_hidden_fraction():
    env = make("APPLE")
    (_, r1, *_), (obs, r2, terminated, _, info) = play(env, "P", "apple")
    assert r1 == pytest.approx(0.2)
    assert r2 == pytest.approx(0.5 * 3 / 5 + 0.5)
    assert terminated and info["success"]
    assert "A P P L E" in obs


def test_guessing_the_word_at_once_pays_one():
    env = make("APPLE")
    (_, reward, terminated, _, info), *_ = play(env, "A P P L E")
    assert reward == pytest.approx(1.0) and terminated and info["success"]


# --- invalid moves and format errors ------------------------------------------------------------


@pytest.mark.parametrize(
    ("guesses", "why"),
    [
        (["P", "P"], "already guessed the letter P"),
        (["Z", "z"], "already guessed the letter Z"),
        (["MANGO", "MANGO"], "already tried MANGO"),
        (["AP"], "has 2 letters"),
        (["APPLES"], "has 6 letters"),
    ],
)
def test_invalid_guesses(guesses, why):
    env = make("APPLE")
    *_, (obs, reward, terminated, _, info) = play(env, *guesses)
    assert reward == 0.0 and not terminated
    assert info["valid_action"] is False and not info["format_error"]
    assert why in obs


def test_wrong_letters_and_words_are_valid_misses():
    env = make("APPLE")
    steps = play(env, "Z", "MANGO")
    for _, reward, terminated, _, info in steps:
        assert reward == 0.0 and not terminated and info["valid_action"]
    obs = steps[-1][0]
    assert "not in the word: Z" in obs and "Wrong words: MANGO" in obs


@pytest.mark.parametrize("action", ["E", r"\boxed{}", r"\boxed{3}", r"\boxed{A-B}", r"\boxed{ü}"])
def test_format_errors(action):
    env = make("APPLE")
    _, reward, terminated, _, info = env.step(action)
    assert reward == pytest.approx(-0.1) and terminated
    assert info["format_error"] and info["reason"] == "format_error"


def test_turn_limit():
    env = make("APPLE", max_turns=3)
    *_, (_, reward, terminated, truncated, info) = play(env, "P", "Z", "Q")
    assert reward == 0.0 and terminated and not truncated
    assert info["reason"] == "turn_limit" and not info["success"]


def test_win_on_the_last_turn_counts():
    env = make("APPLE", max_turns=2)
    *_, (_, _, terminated, _, info) = play(env, "Z", "APPLE")
    assert terminated and info["success"]


# --- prompt --------------------------------------------------------------------------------------


@pytest.mark.parametrize("length", sorted(EXAMPLE_WORDS))
def test_prompt_examples_are_what_they_claim(length):
    for secret in (EXAMPLE_WORDS[length][0], "Q" * length):
        env = make(secret, word_length=length)
        text = env.rules() + env.action_prompt()
        boxes = re.findall(r"\\boxed\{([^}]*)\}", text)
        letters = [b for b in boxes if len(b) == 1]
        words = [b for b in boxes if len(b) > 1]
        assert letters and words
        for word in words:
            assert len(word) == length and word != secret
            assert env.parse_move(word) == word


def test_long_garbage_is_not_echoed():
    env = make("APPLE")
    obs, *_ = env.step(rf"\boxed{{{'A' * 100_000}}}")
    assert len(obs) < 1000


# --- presets and solver --------------------------------------------------------------------------


def test_random_preset_redraws():
    env = gym.make("gem/Hangman-Random-v0").unwrapped
    seen = set()
    for seed in range(30):
        env.reset(seed=seed)
        assert (env.word_length, env.max_turns) in RANDOM_CHOICES
        seen.add(env.word_length)
    assert seen == {3, 5, 7}


def test_sample_random_action_parses():
    env = make("APPLE")
    env.action_space.seed(0)
    for _ in range(20):
        action = env.sample_random_action()
        assert env.parse_move(env.extract_answer(action)) is not None


def solve(env: Hangman) -> str:
    """Name the word once at most two candidates are left, else the most informative letter."""
    known = [c if shown else None for c, shown in zip(env.secret, env.revealed, strict=True)]
    guessed = set(env.guessed_letters)
    candidates = [
        w.upper()
        for w in words_of_length(env.word_length)
        if w.upper() not in env.wrong_words
        and all(
            (k is None and c not in guessed) or c == k
            for c, k in zip(w.upper(), known, strict=True)
        )
    ]
    if len(candidates) <= 2:
        return rf"\boxed{{{candidates[0]}}}"

    def entropy(letter: str) -> float:
        # Candidates split by where the letter would appear: more even splits teach more.
        parts = Counter(tuple(i for i, c in enumerate(w) if c == letter) for w in candidates)
        return -sum(n * math.log(n / len(candidates)) for n in parts.values())

    useful = sorted({c for w in candidates for c in w} - guessed)
    return rf"\boxed{{{max(useful, key=entropy)}}}"


@pytest.mark.parametrize(
    ("env_id", "min_wins"), [(IDS[0], 20), (IDS[1], 16), (IDS[2], 20), (IDS[3], 18)]
)
def test_solver_wins_and_rewards_sum_to_one(env_id, min_wins):
    # Three-letter words with ten turns are hard by design ("_IN" has a dozen answers), so the
    # Easy and Random presets lose a few seeds even with perfect play of this kind.
    env = gym.make(env_id)
    wins = 0
    for seed in range(20):
        env.reset(seed=seed)
        total, terminated, info = 0.0, False, {}
        while not terminated:
            _, reward, terminated, _, info = env.step(solve(env.unwrapped))
            total += reward
        if info["success"]:
            wins += 1
            assert total == pytest.approx(1.0)
        else:
            assert info["reason"] == "turn_limit" and total < 1.0
    assert wins >= min_wins
