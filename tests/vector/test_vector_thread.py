"""ThreadVectorEnv: concurrency, errors naming the sub-env, timeouts, recovery, thread affinity."""

from __future__ import annotations

import threading
import time

import gymnasium as gym
import pytest
from vector_checks import SLEEP_ID, SleepEnv

import gem_gymnasium
from gem_gymnasium.vector import SubEnvError, SubEnvTimeoutError, ThreadVectorEnv


def _threads(vec: ThreadVectorEnv) -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith(vec._name + "-")]


def test_steps_run_concurrently() -> None:
    vec = gem_gymnasium.make_vec(SLEEP_ID, 8, vectorization_mode="thread")
    try:
        vec.reset(seed=0)
        start = time.perf_counter()
        vec.step(("sleep 0.2",) * 8)
        elapsed = time.perf_counter() - start
        assert elapsed < 0.2 * 8 / 2, f"8 steps of 0.2 s took {elapsed:.2f} s: not concurrent"
    finally:
        vec.close()


def test_each_sub_env_lives_on_its_own_thread() -> None:
    vec = ThreadVectorEnv([SleepEnv] * 3)
    try:
        vec.reset(seed=0)
        vec.step(("a", "b", "c"))
        vec.call("render")
        for i, env in enumerate(vec.envs):
            assert set(env.threads) == {f"{vec._name}-{i}"}
    finally:
        vec.close()


@pytest.mark.parametrize("vectorization_mode", ["sync", "thread"])
def test_sub_env_error_names_index_and_id_then_reset_recovers(vectorization_mode: str) -> None:
    vec = gem_gymnasium.make_vec(SLEEP_ID, 3, vectorization_mode=vectorization_mode)
    try:
        vec.reset(seed=0)
        with pytest.raises(SubEnvError, match=r"sub-env 1 \(vectortest/Sleep-v0\).*boom") as info:
            vec.step(("ok", "fail", "ok"))
        assert (info.value.index, info.value.env_id, info.value.operation) == (1, SLEEP_ID, "step")
        assert isinstance(info.value.__cause__, ValueError)
        with pytest.raises(gym.error.ResetNeeded):
            vec.step(("ok",) * 3)
        with pytest.raises(gym.error.ResetNeeded, match="full reset"):
            vec.reset(options={"reset_mask": __import__("numpy").array([False, True, False])})
        obs, _ = vec.reset(seed=1)
        assert all(o.startswith("start") for o in obs)
        obs, rewards, *_ = vec.step(("x", "y", "z"))
        assert obs == ("t=1 x", "t=1 y", "t=1 z") and rewards.tolist() == [1.0] * 3
    finally:
        vec.close()


def test_non_str_action_is_refused_before_any_sub_env_steps() -> None:
    vec = gem_gymnasium.make_vec("gem/GuessTheNumber-v0", 2, vectorization_mode="thread")
    try:
        vec.reset(seed=0)
        with pytest.raises(TypeError, match="sub-env 1"):
            vec.step(("\\boxed{3}", 3))
        assert vec.get_attr("turn") == (0, 0)
        vec.step(("\\boxed{3}", "\\boxed{4}"))  # no reset needed: nothing was stepped
        assert vec.get_attr("turn") == (1, 1)
    finally:
        vec.close()


def test_timeout_abandons_the_stuck_sub_env_and_reset_replaces_it() -> None:
    vec = ThreadVectorEnv([lambda: gym.make(SLEEP_ID)] * 3, timeout=0.3, env_ids=["a", "b", "c"])
    try:
        vec.reset(seed=0)
        stuck_env = vec.envs[2]
        stuck_thread = _threads(vec)[2]
        start = time.perf_counter()
        with pytest.raises(SubEnvTimeoutError, match=r"sub-env 2 \(c\).*timeout=0.3") as info:
            vec.step(("x", "y", "sleep 1.0"))
        assert time.perf_counter() - start < 0.9
        assert info.value.index == 2
        with pytest.raises(gym.error.ResetNeeded):
            vec.step(("x",) * 3)
        obs, _ = vec.reset(seed=0)
        assert vec.envs[2] is not stuck_env
        assert obs[2].startswith("start")
        assert vec.step(("x", "y", "z"))[0] == ("t=1 x", "t=1 y", "t=1 z")
        stuck_thread.join(timeout=5)  # it ends once its call returns, closing its env
        assert not stuck_thread.is_alive()
        assert stuck_env.unwrapped.close_calls == 1
    finally:
        vec.close()


def test_timeout_must_be_positive() -> None:
    with pytest.raises(ValueError, match="timeout"):
        ThreadVectorEnv([SleepEnv], timeout=0)


def test_constructor_failure_names_the_sub_env_and_stops_threads() -> None:
    before = set(threading.enumerate())

    def broken() -> gym.Env:
        raise RuntimeError("cannot build")

    with pytest.raises(SubEnvError, match=r"sub-env 1 \(env_fns\[1\]\) failed in make"):
        ThreadVectorEnv([SleepEnv, broken, SleepEnv])
    time.sleep(0.1)
    assert {t for t in threading.enumerate() if t.name.startswith("gem-vector")} <= before
