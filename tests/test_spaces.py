from __future__ import annotations

import copy
import multiprocessing as mp
import pickle

import gymnasium as gym
import pytest
from gymnasium.spaces.utils import flatdim, flatten, flatten_space, unflatten
from gymnasium.vector.utils import (
    batch_space,
    concatenate,
    create_empty_array,
    create_shared_memory,
    read_from_shared_memory,
    write_to_shared_memory,
)
from hypothesis import given
from hypothesis import strategies as st

from gem_gymnasium.spaces import SharedTextBatch, TextSpace


@given(st.text(max_size=50))
def test_contains_any_str_within_length(text: str) -> None:
    assert TextSpace(50).contains(text)


@pytest.mark.parametrize("value", ["x" * 11, b"abc", 3, None, ["a"]])
def test_rejects_non_str_and_too_long(value: object) -> None:
    assert not TextSpace(10).contains(value)


def test_min_length_and_empty_string() -> None:
    assert TextSpace(10).contains("")
    assert not TextSpace(10, min_length=1).contains("")


def test_sample_is_short_printable_and_seeded() -> None:
    space = TextSpace(1000, seed=3)
    samples = [space.sample() for _ in range(50)]
    assert all(s.isprintable() and len(s) <= 32 and space.contains(s) for s in samples)
    again = TextSpace(1000, seed=3)
    assert samples == [again.sample() for _ in range(50)]
    assert len(set(samples)) > 40


def test_repr_eq_pickle() -> None:
    space = TextSpace(100, seed=1)
    assert repr(space) == "TextSpace(max_length=100)"
    assert space == TextSpace(100) and space != TextSpace(101) and space != gym.spaces.Text(100)
    clone = pickle.loads(pickle.dumps(space))
    assert clone == space and clone.sample() == space.sample()
    assert len(pickle.dumps(TextSpace(100))) < 400


@given(st.text(max_size=30))
def test_flatten_round_trip(text: str) -> None:
    space = TextSpace(30)
    flat = flatten(space, text)
    assert flat.shape == (flatdim(space),) and flatten_space(space).contains(flat)
    assert unflatten(space, flat) == text


def test_flatten_too_long_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="does not fit"):
        flatten(TextSpace(3), "abcd")


def test_vector_batch_helpers() -> None:
    space = TextSpace(20)
    batched = batch_space(space, 3)
    assert isinstance(batched, gym.spaces.Tuple) and batched.contains(("a", "", "é\n"))
    assert create_empty_array(space, 2) == ("", "")
    assert concatenate(space, ["a", "b"], create_empty_array(space, 2)) == ("a", "b")


@given(st.lists(st.text(max_size=16), min_size=3, max_size=3))
def test_shared_memory_view_is_live(texts: list[str]) -> None:
    space = TextSpace(16)
    memory = create_shared_memory(space, n=3, ctx=mp)
    view = read_from_shared_memory(space, memory, n=3)
    assert isinstance(view, SharedTextBatch)
    for i, text in enumerate(texts):
        write_to_shared_memory(space, i, text, memory)
    assert tuple(view) == tuple(texts) and view == texts and len(view) == 3
    snapshot = copy.deepcopy(view)
    write_to_shared_memory(space, 0, "changed", memory)
    assert view[0] == "changed" and snapshot == tuple(texts) and isinstance(snapshot, tuple)


class _EchoEnv(gym.Env):
    """Observation = the last action, to check strings round-trip through workers."""

    observation_space = TextSpace(64)
    action_space = TextSpace(64)

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        return f"start {seed}", {}

    def step(self, action):
        return action, 0.0, False, False, {}


@pytest.mark.parametrize("copy_obs", [True, False])
def test_async_vector_env_default_shared_memory_returns_fresh_strings(copy_obs: bool) -> None:
    envs = gym.vector.AsyncVectorEnv([_EchoEnv] * 3, copy=copy_obs)
    try:
        obs, _ = envs.reset(seed=[1, 2, 3])
        assert tuple(obs) == ("start 1", "start 2", "start 3")
        for step in range(3):
            actions = (f"a{step}", "ü\n" * step, "")
            obs, *_ = envs.step(actions)
            assert tuple(obs) == actions
    finally:
        envs.close()


def test_make_vec_async_with_default_arguments_returns_fresh_strings() -> None:
    """The issue Gymnasium 1.4 has with Text shared memory, on a registered env, 8 workers."""
    import gem_gymnasium  # noqa: F401

    envs = gym.make_vec("gem/GuessTheNumber-v0", 8, vectorization_mode="async")
    reference = [gym.make("gem/GuessTheNumber-v0") for _ in range(8)]
    try:
        for seed in (0, 100):  # stale strings would repeat the first reset's observations
            obs, _ = envs.reset(seed=seed)
            assert list(obs) == [env.reset(seed=seed + i)[0] for i, env in enumerate(reference)]
            actions = tuple(f"\\boxed{{{3 + i}}}" for i in range(8))
            obs, *_ = envs.step(actions)
            expected = [env.step(a)[0] for env, a in zip(reference, actions, strict=True)]
            assert list(obs) == expected and len(set(obs)) > 1
    finally:
        envs.close()
