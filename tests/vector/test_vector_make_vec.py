"""``gem_gymnasium.make_vec``: mixed ids, seeds, per-env kwargs and wrappers, common spaces."""

from __future__ import annotations

from functools import partial

import gymnasium as gym
import numpy as np
import pytest
from vector_checks import DISABLED, SAME, SLEEP_ID, drive

import gem_gymnasium
from gem_gymnasium.spaces import TextSpace
from gem_gymnasium.vector import TextSyncVectorEnv, ThreadVectorEnv

GTN = "gem/GuessTheNumber-v0"


def test_types_and_defaults() -> None:
    sync = gem_gymnasium.make_vec(GTN, 3)
    thread = gem_gymnasium.make_vec(GTN, 2, vectorization_mode="thread")
    try:
        assert type(sync) is TextSyncVectorEnv and type(thread) is ThreadVectorEnv
        for vec in (sync, thread):
            assert isinstance(vec, gym.vector.VectorEnv)
            assert vec.metadata["autoreset_mode"] is SAME
            assert vec.single_observation_space == TextSpace()
            assert isinstance(vec.action_space, gym.spaces.Tuple)
            assert len(vec.action_space.sample()) == vec.num_envs
        assert sync.num_envs == 3 and sync.env_ids == (GTN,) * 3
        assert "GuessTheNumber" in repr(sync)
    finally:
        sync.close()
        thread.close()


def test_ids_resolve_and_repeat() -> None:
    vec = gem_gymnasium.make_vec(["game:GuessTheNumber-v0-easy", "GuessTheNumber-Hard-v0"], 4)
    try:
        assert vec.env_ids == ("gem/GuessTheNumber-Easy-v0", "gem/GuessTheNumber-Hard-v0") * 2
        assert vec.get_attr("max_number") == (10, 50, 10, 50)
    finally:
        vec.close()


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="vectorization_mode"):
        gem_gymnasium.make_vec(GTN, 2, vectorization_mode="processes")
    with pytest.raises(ValueError, match="multiple"):
        gem_gymnasium.make_vec([GTN, GTN], 3)
    with pytest.raises(gym.error.UnregisteredEnv, match="gem-gym list"):
        gem_gymnasium.make_vec("gem/NoSuchGame-v0", 2)
    with pytest.raises(ValueError, match="env_kwargs"):
        gem_gymnasium.make_vec(GTN, 3, env_kwargs=[{}, {}])
    with pytest.raises(TypeError, match="timeout"):
        gem_gymnasium.make_vec(GTN, 2, timeout=1.0)  # only the thread mode has one


def test_seed_plus_index() -> None:
    """Sub-env i is seeded with seed + i when made: the first reset() is reproducible."""
    vec = gem_gymnasium.make_vec(GTN, 3, seed=100)
    try:
        obs, _ = vec.reset()
        secrets = vec.get_attr("secret")
    finally:
        vec.close()
    for i in range(3):
        env = gym.make(GTN)
        env.reset(seed=100 + i)
        assert env.reset()[0] == obs[i]
        assert env.unwrapped.secret == secrets[i]
    again = gem_gymnasium.make_vec(GTN, 3, seed=100)
    try:
        assert again.reset()[0] == obs
        seeded = again.reset(seed=7)[0]
        assert seeded == tuple(gym.make(GTN).reset(seed=7 + i)[0] for i in range(3))
    finally:
        again.close()


def test_per_env_kwargs_and_shared_kwargs() -> None:
    vec = gem_gymnasium.make_vec(
        GTN, 2, env_kwargs=[{"max_number": 30}, {"max_number": 40, "max_turns": 3}]
    )
    try:
        assert vec.get_attr("max_number") == (30, 40)
        assert vec.get_attr("max_turns") == (10, 3)
    finally:
        vec.close()
    vec = gem_gymnasium.make_vec(GTN, 2, env_kwargs={"max_turns": 2})
    try:
        assert vec.get_attr("max_turns") == (2, 2)
    finally:
        vec.close()


class Tag(gym.ObservationWrapper):
    def __init__(self, env: gym.Env, tag: str = "A") -> None:
        super().__init__(env)
        self.tag = tag

    def observation(self, observation: str) -> str:
        return f"[{self.tag}] {observation}"


@pytest.mark.parametrize("vectorization_mode", ["sync", "thread", "async"])
def test_wrappers_shared_and_per_env(vectorization_mode: str) -> None:
    shared = gem_gymnasium.make_vec(GTN, 2, vectorization_mode=vectorization_mode, wrappers=[Tag])
    per_env = gem_gymnasium.make_vec(
        GTN,
        3,
        vectorization_mode=vectorization_mode,
        wrappers=[[Tag], None, [partial(Tag, tag="B"), partial(Tag, tag="C")]],
    )
    try:
        assert all(o.startswith("[A] ") for o in shared.reset(seed=0)[0])
        obs = per_env.reset(seed=0)[0]
        assert obs[0].startswith("[A] You are")
        assert obs[1].startswith("You are")
        assert obs[2].startswith("[C] [B] You are")
        obs = per_env.step(("\\boxed{5}",) * 3)[0]
        assert obs[0].startswith("[A] ") and obs[2].startswith("[C] [B] ")
    finally:
        shared.close()
        per_env.close()


def test_wrapper_spec_string() -> None:
    """A string is a stack for gem_gymnasium.wrappers.apply_wrappers."""
    vec = gem_gymnasium.make_vec(GTN, 2, wrappers="concat", seed=0)
    try:
        first, _ = vec.reset()
        obs = vec.step(("\\boxed{3}", "\\boxed{4}"))[0]
        assert obs[0].startswith(first[0][:40]) and len(obs[0]) > len(first[0])
    finally:
        vec.close()


@pytest.mark.parametrize("vectorization_mode", ["sync", "thread", "async"])
def test_common_text_space_for_differing_max_length(vectorization_mode: str) -> None:
    """Sub-envs with different max_length share the largest TextSpace (Gymnasium needs equal)."""
    kwargs = [{"max_length": 1000}, {"max_length": 3000}, {}]
    fns = [partial(gym.make, GTN, **k) for k in kwargs]
    with pytest.raises(RuntimeError, match="observation_mode"):
        gym.vector.SyncVectorEnv(fns)  # what Gymnasium does without it
    ids = [GTN, GTN, "gem/GuessTheNumber-Easy-v0"]
    kwargs = [{"max_length": 1000}, {"max_length": 3000}, {"max_length": 2000}]
    vec = gem_gymnasium.make_vec(ids, vectorization_mode=vectorization_mode, env_kwargs=kwargs)
    try:
        assert vec.single_observation_space == TextSpace(3000)
        assert vec.single_action_space == TextSpace(3000)
        assert all(space == TextSpace(3000) for space in vec.observation_space)
        references = [partial(gym.make, i, **k) for i, k in zip(ids, kwargs, strict=True)]
        drive(vec, references, SAME, steps=6)
    finally:
        vec.close()


def test_mixed_ids_same_space_is_not_probed_again() -> None:
    """Ids of one family share TextSpace(65536): no common space is imposed on them."""
    vec = gem_gymnasium.make_vec([GTN, "gem/GuessTheNumber-Easy-v0"])
    try:
        assert vec.single_observation_space == TextSpace()
    finally:
        vec.close()


def test_differing_non_text_spaces_are_reported() -> None:
    boxed = partial(gym.make, "CartPole-v1")
    with pytest.raises(ValueError, match=r"sub-env 1 .* observation space"):
        TextSyncVectorEnv([partial(gym.make, SLEEP_ID), boxed])


def test_non_text_env_batches_like_gymnasium() -> None:
    """Generic envs still work: observations batch into Gymnasium's arrays."""
    ours = TextSyncVectorEnv([partial(gym.make, "CartPole-v1")] * 3, autoreset_mode=DISABLED)
    theirs = gym.vector.SyncVectorEnv(
        [partial(gym.make, "CartPole-v1")] * 3, autoreset_mode=DISABLED
    )
    try:
        a, b = ours.reset(seed=1), theirs.reset(seed=1)
        assert np.array_equal(a[0], b[0])
        for _ in range(5):
            a, b = ours.step(np.array([0, 1, 0])), theirs.step(np.array([0, 1, 0]))
            assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    finally:
        ours.close()
        theirs.close()
