"""Stable-Baselines3's ``make_vec_env`` builds vector envs straight from our ids."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("stable_baselines3")

import gymnasium as gym
from stable_baselines3.common.env_util import make_vec_env

import gem_gymnasium
from gem_gymnasium.adapters.sb3 import DiscreteActions, HashedNgramObservation
from gem_gymnasium.core import UnsupportedRenderMode

GUESSES = [f"\\boxed{{{n}}}" for n in range(1, 11)]


def adapt(env: gym.Env) -> gym.Env:
    return HashedNgramObservation(DiscreteActions(env, GUESSES))


@pytest.mark.parametrize("env_id", ["gem/GuessTheNumber-Easy-v0", "gem/TicTacToe-vsRandom-v0"])
def test_make_vec_env_with_the_adapters_renders_frames(env_id: str) -> None:
    wrapper = (
        adapt if "Guess" in env_id else lambda env: HashedNgramObservation(DiscreteActions(env))
    )
    vec = make_vec_env(env_id, n_envs=2, seed=0, wrapper_class=wrapper)
    try:
        obs = vec.reset()
        assert obs.shape == (2, 512)
        obs, rewards, *_ = vec.step(np.array([0, 1]))
        assert obs.shape == (2, 512) and rewards.shape == (2,)
        assert vec.get_attr("render_mode") == ["rgb_array", "rgb_array"]  # SB3's default
        frame = vec.get_images()[0]
        assert frame.dtype == np.uint8 and frame.ndim == 3 and frame.shape[2] == 3
    finally:
        vec.close()


def test_make_vec_env_takes_a_text_env_without_extra_arguments() -> None:
    # Each observation is one str in an object array (TextSpace: shape (), dtype object).
    vec = make_vec_env("gem/GuessTheNumber-v0", n_envs=2, seed=0)
    try:
        obs = vec.reset()
        assert obs.shape == (2,) and obs.dtype == object
        assert all(isinstance(o, str) and "Guess The Number" in o for o in obs)
        obs, rewards, *_ = vec.step(["\\boxed{10}", "\\boxed{3}"])
        assert all(isinstance(o, str) and len(o) > 20 for o in obs)  # whole, not cut
        assert rewards.shape == (2,)
    finally:
        vec.close()


@pytest.mark.filterwarnings("ignore:.*render_mode='depth_array'.*:UserWarning")
def test_an_unsupported_render_mode_is_a_value_and_a_type_error() -> None:
    with pytest.raises(UnsupportedRenderMode, match="render_mode must be one of") as info:
        gem_gymnasium.make(
            "gem/GuessTheNumber-v0", render_mode="depth_array", disable_env_checker=True
        )
    assert isinstance(info.value, ValueError) and isinstance(info.value, TypeError)
    from gem_gymnasium.envs.multiagent import tictactoe

    with pytest.raises(TypeError):
        tictactoe.env(render_mode="depth_array")
