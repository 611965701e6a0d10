"""Wordle: repeated-letter scoring, invalid guesses, a candidate-filtering solver, rewards."""

from __future__ import annotations

import gymnasium as gym
import pytest
from hypothesis import given
from hypothesis import strategies as st

import gem_gymnasium  # noqa: F401  (registers the ids)
from gem_gymnasium.envs.games.word_data import is_word, words_of_length
from gem_gymnasium.envs.games.wordle import (
    EXAMPLE_WORDS,
    RANDOM_CHOICES,
    Wordle,
    is_consistent,
    score_guess,
)

IDS = ["gem/Wordle-v0", "gem/Wordle-Easy-v0", "gem/Wordle-Hard-v0", "gem/Wordle-Random-v0"]


# --- rules ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("guess", "secret", "feedback"),
    [
        ("CRANE", "CRANE", "GGGGG"),
        ("CRANE", "TOUGH", "XXXXX"),
        ("CRANE", "NACRE", "YYYYG"),
        # A repeated guess letter, single copy in the secret: only one copy scores.
        ("SPEED", "ABIDE", "XXYXY"),
        ("EERIE", "THEME", "YXXXG"),
        ("LLAMA", "HELLO", "YYXXX"),
        # Green claims its copy before any yellow, even when the yellow comes first.
        ("BOBBY", "ABBEY", "YXGXG"),
        ("ALLOT", "LOYAL", "YYYYX"),
        ("ABBEY", "KEBAB", "YYGYX"),
        ("KEBAB", "ABBEY", "XYGYY"),
        # Two copies in the secret, three in the guess.
        ("EEE", "EYE", "GXG"),
        ("SASSY", "GASSY", "XGGGG"),
        ("TOOTH", "OTTER", "YYXYX"),
    ],
)
def test_score_guess_repeated_letters(guess, secret, feedback):
    assert score_guess(guess, secret) == feedback


words5 = st.text(alphabet="ABCDE", min_size=5, max_size=5)


@given(words5, words5)
def test_score_guess_letter_counts(guess, secret):
    feedback = score_guess(guess, secret)
    assert feedback.count("G") == sum(g == s for g, s in zip(guess, secret, strict=True))
    for letter in set(guess):
        marked = sum(1 for g, m in zip(guess, feedback, strict=True) if g == letter and m != "X")
        assert marked == min(guess.count(letter), secret.count(letter))
    assert is_consistent(secret, guess, feedback)
    assert (feedback == "GGGGG") == (guess == secret)


# --- word data -----------------------------------------------------------------------------------


def test_example_words_are_real_words_of_their_length():
    for length, word in EXAMPLE_WORDS.items():
        assert len(word) == length and is_word(word)


def test_every_secret_is_a_real_word():
    for length in range(3, 9):
        pool = words_of_length(length)
        assert len(pool) > 100
        assert all(is_word(w) and len(w) == length for w in pool)


# --- env -----------------------------------------------------------------------------------------


def make(**kwargs) -> Wordle:
    seed = kwargs.pop("seed", 0)
    env = Wordle(**kwargs)
    env.reset(seed=seed)
    return env


def test_feedback_is_printed_letter_by_letter():
    env = make()
    env.secret = "ABBEY"
    obs, reward, *_ = env.step(r"\boxed{KEBAB}")
    assert "K E B A B\nX Y G Y Y" in obs
    assert "[" not in obs and "'" not in obs
    assert reward == pytest.approx(0.1)


@pytest.mark.parametrize(
    ("action", "why"),
    [
        (r"\boxed{CRAN}", "has 4 letters"),
        (r"\boxed{CRANES}", "has 6 letters"),
        (r"\boxed{XQZVK}", "not in the word list"),
        (r"\boxed{SLATE}", "already guessed"),
    ],
)
def test_invalid_guesses(action, why):
    env = make()
    env.secret = "MOUNT"
    env.step(r"\boxed{SLATE}")
    obs, reward, terminated, truncated, info = env.step(action)
    assert (reward, terminated, truncated) == (0.0, False, False)
    assert info["valid_action"] is False and info["format_error"] is False
    assert why in obs
    assert env.guesses == [("SLATE", "XXXYX")]


@pytest.mark.parametrize("action", ["CRANE", r"\boxed{}", r"\boxed{CR4NE}", r"\boxed{crané}"])
def test_format_errors_end_the_episode(action):
    env = make()
    _, reward, terminated, _, info = env.step(action)
    assert reward == pytest.approx(-0.1) and terminated
    assert info["format_error"] and info["reason"] == "format_error" and not info["success"]


def test_spaces_and_case_are_ignored():
    env = make()
    env.secret = "CRANE"
    _, reward, terminated, _, info = env.step(r"I am sure: \boxed{c r a n e}")
    assert terminated and info["success"] and reward == pytest.approx(1.0)


def test_only_real_words_false_accepts_any_letters():
    env = make(only_real_words=False)
    env.secret = "CRANE"
    _, reward, _, _, info = env.step(r"\boxed{XQZVE}")
    assert info["valid_action"] and reward == pytest.approx(0.1)


def test_each_position_pays_green_once():
    env = make()
    env.secret = "CRANE"
    rewards = [env.step(rf"\boxed{{{w}}}")[1] for w in ["CRONY", "CRISP", "BRAKE", "CRANE"]]
    assert rewards == pytest.approx([0.3, 0.0, 0.2, 0.5])
    assert sum(rewards) == pytest.approx(1.0)


def test_turn_limit_ends_without_reward():
    env = make(word_length=3, max_turns=3)
    env.secret = "ZZZ"  # unreachable, so every guess is wrong
    for word in ["SUN", "CAR", "DOG"]:
        _, reward, terminated, truncated, info = env.step(rf"\boxed{{{word}}}")
    assert reward == 0.0 and terminated and not truncated
    assert info["reason"] == "turn_limit" and info["success"] is False


def test_win_on_the_last_turn_counts():
    env = make(word_length=3, max_turns=2)
    env.secret = "DOG"
    env.step(r"\boxed{SUN}")
    _, _, terminated, _, info = env.step(r"\boxed{DOG}")
    assert terminated and info["success"] and info["reason"] == "won"


def test_random_preset_redraws_length_and_turns():
    env = gym.make("gem/Wordle-Random-v0").unwrapped
    seen = set()
    for seed in range(30):
        env.reset(seed=seed)
        assert (env.word_length, env.max_turns) in RANDOM_CHOICES
        assert len(env.secret) == env.word_length
        seen.add(env.word_length)
    assert seen == {3, 4, 5}


def test_bad_word_length_is_rejected():
    with pytest.raises(ValueError, match="word_length"):
        Wordle(word_length=9)


def test_sample_random_action_is_a_valid_guess():
    env = gym.make("gem/Wordle-Random-v0").unwrapped
    env.reset(seed=3)
    env.action_space.seed(3)
    for _ in range(5):
        _, _, terminated, _, info = env.step(env.sample_random_action())
        assert info["valid_action"]
        if terminated:
            break


def solve(env: Wordle) -> str:
    """Guess the first secret-pool word consistent with every feedback so far."""
    candidates = [w.upper() for w in words_of_length(env.word_length)]
    for guess, feedback in env.guesses:
        candidates = [w for w in candidates if is_consistent(w, guess, feedback)]
    return rf"\boxed{{{candidates[0]}}}"


@pytest.mark.parametrize("env_id", IDS)
def test_solver_wins_and_rewards_sum_to_one(env_id):
    env = gym.make(env_id)
    for seed in range(15):
        env.reset(seed=seed)
        total, terminated, info = 0.0, False, {}
        while not terminated:
            _, reward, terminated, _, info = env.step(solve(env.unwrapped))
            total += reward
        assert info["success"], (env_id, seed, env.unwrapped.secret)
        assert total == pytest.approx(1.0)
