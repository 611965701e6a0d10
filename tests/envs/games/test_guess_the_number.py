from __future__ import annotations

import math
import re

import gymnasium as gym
import pytest

import gem_gymnasium  # noqa: F401
from gem_gymnasium.envs.games.guess_the_number import GuessTheNumber


def binary_search_episode(env: gym.Env, seed: int) -> tuple[list[float], dict]:
    obs, info = env.reset(seed=seed)
    base = env.unwrapped
    low, high = base.min_number, base.max_number
    rewards = []
    while True:
        guess = (low + high) // 2
        obs, reward, terminated, truncated, info = env.step(f"Bisecting: \\boxed{{{guess}}}")
        rewards.append(reward)
        if terminated or truncated:
            return rewards, info
        if "too low" in obs.split("\n")[0]:
            low = guess + 1
        else:
            high = guess - 1


@pytest.mark.parametrize("preset", ["", "Easy-", "Hard-", "Random-"])
def test_binary_search_wins_every_seed(preset: str) -> None:
    env = gym.make(f"gem/GuessTheNumber-{preset}v0")
    for seed in range(60):
        rewards, info = binary_search_episode(env, seed)
        assert info["success"], (preset, seed, info)
        assert sum(rewards) == 1.0


@pytest.mark.parametrize(
    ("preset", "bounds"),
    [("", (1, 20, 10)), ("Easy-", (1, 10, 4)), ("Hard-", (1, 50, 7))],
)
def test_presets(preset: str, bounds: tuple[int, int, int]) -> None:
    env = gym.make(f"gem/GuessTheNumber-{preset}v0")
    obs, _ = env.reset(seed=0)
    base = env.unwrapped
    assert (base.min_number, base.max_number, base.max_turns) == bounds
    assert f"between {bounds[0]} and {bounds[1]}" in obs and f"{bounds[2]} guesses" in obs


def test_random_preset_resamples_each_reset() -> None:
    env = GuessTheNumber(randomize=True)
    seen = set()
    for seed in range(40):
        env.reset(seed=seed)
        lo, hi = env.min_number, env.max_number
        assert 1 <= lo <= 10 and lo + 5 <= hi <= lo + 50
        assert env.max_turns == math.ceil(math.sqrt(hi - lo)) + 1
        seen.add((lo, hi))
    assert len(seen) > 20


def test_secret_covers_range() -> None:
    env = GuessTheNumber(1, 10, 4)
    secrets = set()
    for seed in range(300):
        env.reset(seed=seed)
        secrets.add(env.secret)
    assert secrets == set(range(1, 11))


@pytest.mark.parametrize(
    ("action", "reward", "terminated", "valid", "format_error", "feedback"),
    [
        ("\\boxed{0}", 0.0, False, False, False, "outside"),  # 0 is a number, not a format error
        ("\\boxed{21}", 0.0, False, False, False, "outside"),
        ("\\boxed{ten}", -0.1, True, False, True, "Format error"),
        ("I guess 10", -0.1, True, False, True, "Format error"),
        ("\\boxed{10.5}", -0.1, True, False, True, "Format error"),
    ],
)
def test_invalid_and_format_errors(action, reward, terminated, valid, format_error, feedback):
    env = GuessTheNumber()
    env.reset(seed=1)
    obs, r, term, trunc, info = env.step(action)
    assert (r, term, trunc, info["valid_action"], info["format_error"]) == (
        reward,
        terminated,
        False,
        valid,
        format_error,
    )
    assert feedback in obs


def test_repeated_guess_is_invalid_and_uses_the_turn() -> None:
    env = GuessTheNumber()
    env.reset(seed=1)
    secret = env.secret
    wrong = 1 if secret != 1 else 2
    env.step(f"\\boxed{{{wrong}}}")
    obs, reward, terminated, _, info = env.step(f"\\boxed{{{wrong}}}")
    assert reward == 0.0 and not terminated and not info["valid_action"] and info["turn"] == 2
    assert "already guessed" in obs


def test_turn_limit_reward_uses_last_valid_guess() -> None:
    env = GuessTheNumber(1, 50, 2)
    env.reset(seed=3)
    secret = env.secret
    guesses = [g for g in (1, 50, 25) if g != secret][:2]
    env.step(f"\\boxed{{{guesses[0]}}}")
    _, reward, terminated, _, info = env.step(f"\\boxed{{{guesses[1]}}}")
    assert terminated and info["reason"] == "turn_limit" and not info["success"]
    assert reward == pytest.approx(1 - abs(guesses[1] - secret) / 49)


def test_turn_limit_reward_is_zero_after_an_invalid_last_guess() -> None:
    env = GuessTheNumber(1, 50, 2)
    env.reset(seed=3)
    wrong = 1 if env.secret != 1 else 2
    env.step(f"\\boxed{{{wrong}}}")
    _, reward, terminated, _, info = env.step("\\boxed{99}")
    assert terminated and reward == 0.0 and info["reason"] == "turn_limit"


def test_observation_lets_a_memoryless_policy_play() -> None:
    env = GuessTheNumber()
    env.reset(seed=5)
    obs, *_ = env.step("\\boxed{10}")
    assert re.search(r"between \d+ and \d+", obs) and "Guesses left: 9" in obs and "\\boxed{" in obs


def test_sample_random_action_parses_and_avoids_repeats() -> None:
    env = GuessTheNumber(1, 10, 10)
    env.reset(seed=0)
    env.action_space.seed(0)
    seen = set()
    for _ in range(10):
        action = env.sample_random_action()
        _, _, terminated, _, info = env.step(action)
        assert info["valid_action"] and action not in seen
        seen.add(action)
        if terminated:
            break


def test_constructor_rejects_empty_range() -> None:
    with pytest.raises(ValueError, match="min_number"):
        GuessTheNumber(5, 5)


def test_turn_limit_reward_is_zero_after_a_format_error_on_the_last_turn() -> None:
    env = GuessTheNumber(1, 50, 2, end_on_format_error=False)
    env.reset(seed=3)
    env.step(f"\\boxed{{{1 if env.secret != 1 else 2}}}")
    _, reward, terminated, _, info = env.step("no box")
    assert terminated and info["format_error"] and reward == pytest.approx(-0.1)


def test_observation_narrows_the_range_and_counts_down() -> None:
    env = GuessTheNumber(1, 20, 5)
    env.reset(seed=0)
    env.secret = 13
    obs, *_ = env.step("\\boxed{10}")
    assert obs.startswith("Your guess 10 is too low") and "between 11 and 20" in obs
    obs, *_ = env.step("\\boxed{15}")
    assert "too high" in obs and "between 11 and 14. Guesses left: 3." in obs
    obs, *_ = env.step("\\boxed{3}")  # below the known range: valid, the range stays
    assert "between 11 and 14. Guesses left: 2." in obs
    obs, reward, terminated, _, info = env.step("\\boxed{13}")
    assert terminated and reward == 1.0 and info["success"] and obs.endswith("You won!")
