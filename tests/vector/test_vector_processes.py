"""Async mode (worker processes) keeps the error contract of the sync and thread modes."""

from __future__ import annotations

import os
import signal

import gymnasium as gym
import numpy as np
import pytest
from vector_checks import SLEEP_ID

import gem_gymnasium
from gem_gymnasium.vector import ProcessVectorEnv, SubEnvError, SubEnvTimeoutError


@pytest.fixture
def vec():
    envs = gem_gymnasium.make_vec(SLEEP_ID, 3, vectorization_mode="async")
    yield envs
    envs.close()


def _works(envs: gym.vector.VectorEnv) -> None:
    obs, _ = envs.reset(seed=1)
    assert all(o.startswith("start") for o in obs)
    obs, rewards, *_ = envs.step(("x", "y", "z"))
    assert tuple(obs) == ("t=1 x", "t=1 y", "t=1 z") and rewards.tolist() == [1.0] * 3


def test_sub_env_error_names_index_and_id_then_reset_restarts_the_worker(vec) -> None:
    assert isinstance(vec, ProcessVectorEnv)
    vec.reset(seed=0)
    with pytest.raises(SubEnvError, match=r"sub-env 1 \(vectortest/Sleep-v0\).*boom") as info:
        vec.step(("ok", "fail", "ok"))
    assert (info.value.index, info.value.env_id, info.value.operation) == (1, SLEEP_ID, "step")
    assert isinstance(info.value.__cause__, ValueError)
    with pytest.raises(gym.error.ResetNeeded):
        vec.step(("ok",) * 3)
    with pytest.raises(gym.error.ResetNeeded, match="full reset"):
        vec.reset(options={"reset_mask": np.array([False, True, False])})
    with pytest.raises(gym.error.ResetNeeded, match="sub-env 1"):
        vec.get_attr("t")
    _works(vec)
    assert vec.get_attr("t") == (1, 1, 1)
    _works(vec)  # and again: nothing stale left behind


def test_reset_after_a_wait_timeout_replaces_the_stuck_worker(vec) -> None:
    vec.reset(seed=0)
    stuck = vec.processes[2]
    vec.step_async(("x", "y", "sleep 30"))
    with pytest.raises(SubEnvTimeoutError, match=r"sub-env 2 \(vectortest/Sleep-v0\)") as info:
        vec.step_wait(timeout=0.5)
    assert info.value.index == 2 and info.value.operation == "step"
    with pytest.raises(gym.error.ResetNeeded):
        vec.step(("x",) * 3)
    _works(vec)
    assert not stuck.is_alive() and vec.processes[2] is not stuck


def test_a_killed_worker_is_named_and_restarted_on_reset(vec) -> None:
    vec.reset(seed=0)
    victim = vec.processes[0]
    os.kill(victim.pid, signal.SIGKILL)
    victim.join()
    with pytest.raises(SubEnvError, match=r"sub-env 0 .*worker process died"):
        vec.step(("x", "y", "z"))
    _works(vec)


def test_close_after_a_timeout_does_not_wait_for_the_stuck_worker(vec) -> None:
    vec.reset(seed=0)
    vec.step_async(("sleep 30", "y", "z"))
    with pytest.raises(SubEnvTimeoutError):
        vec.step_wait(timeout=0.5)
    processes = list(vec.processes)
    vec.close()
    assert not any(p.is_alive() for p in processes)
