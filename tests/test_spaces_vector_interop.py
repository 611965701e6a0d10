"""TextSpace in Gymnasium's vector utilities: differing spaces and shared-memory reads."""

from __future__ import annotations

from functools import partial

import gymnasium as gym
import pytest
from gymnasium.vector.utils import (
    batch_differing_spaces,
    batch_space,
    create_shared_memory,
    read_from_shared_memory,
    write_to_shared_memory,
)

import gem_gymnasium  # noqa: F401  (registers the ids)
from gem_gymnasium.spaces import SharedTextBatch, TextBatchSpace, TextSpace

IDS = ["gem/GuessTheNumber-v0", "gem/Sudoku-Easy-v0", "gem/Math-v0"]


def test_batch_differing_text_spaces() -> None:
    spaces = [TextSpace(10), TextSpace(20, min_length=1)]
    batched = batch_differing_spaces(spaces)
    assert isinstance(batched, TextBatchSpace) and list(batched) == spaces
    assert ("0123456789", "x") in batched and ("", "x") in batched
    assert ("0123456789x", "x") not in batched and ("a", "") not in batched


def test_batch_space_keeps_gymnasium_semantics() -> None:
    batched = batch_space(TextSpace(8, seed=3), 3)
    assert isinstance(batched, gym.spaces.Tuple) and list(batched) == [TextSpace(8)] * 3
    assert batched.sample() in batched
    assert (
        batch_space(TextSpace(8, seed=3), 3).sample()
        == batch_space(TextSpace(8, seed=3), 3).sample()
    )


@pytest.mark.parametrize("vector_class", [gym.vector.SyncVectorEnv, gym.vector.AsyncVectorEnv])
def test_gymnasium_vector_envs_with_different_observation_spaces(vector_class) -> None:
    fns = [partial(gym.make, env_id) for env_id in IDS]
    vec = vector_class(fns, observation_mode="different")
    try:
        obs, _ = vec.reset(seed=0)
        assert obs in vec.observation_space and len(obs) == len(IDS)
        obs, *_ = vec.step(tuple(env_fn().unwrapped.sample_random_action() for env_fn in fns))
        assert obs in vec.observation_space
    finally:
        vec.close()


def test_shared_memory_read_is_in_the_batched_space() -> None:
    space = TextSpace(16)
    memory = create_shared_memory(space, n=3)
    for index, text in enumerate(["a", "é\n😀", ""]):
        write_to_shared_memory(space, index, text, memory)
    read = read_from_shared_memory(space, memory, n=3)
    assert isinstance(read, SharedTextBatch)
    assert read in batch_space(space, 3)


def test_async_shared_memory_without_copy_returns_members_of_its_space() -> None:
    vec = gym.vector.AsyncVectorEnv(
        [partial(gym.make, "gem/GuessTheNumber-v0")] * 2, shared_memory=True, copy=False
    )
    try:
        obs, _ = vec.reset(seed=0)
        assert isinstance(obs, SharedTextBatch) and obs in vec.observation_space
        obs, *_ = vec.step(("\\boxed{5}", "\\boxed{6}"))
        assert obs in vec.observation_space
    finally:
        vec.close()
