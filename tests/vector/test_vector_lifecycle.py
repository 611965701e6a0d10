"""Partial steps for evaluation, the vector API's extras, and no leaks after ``close()``."""

from __future__ import annotations

import multiprocessing
import threading
import time

import gymnasium as gym
import numpy as np
import pytest
from vector_checks import DISABLED, MODES, SLEEP_ID

import gem_gymnasium
from gem_gymnasium.testing import random_action

VECTOR_MODES = ["sync", "thread", "async"]


@pytest.mark.parametrize("vectorization_mode", VECTOR_MODES)
def test_evaluation_loop_stops_stepping_finished_episodes(vectorization_mode: str) -> None:
    """Disabled autoreset + None for finished episodes: exactly one episode per sub-env."""
    env_id, n = "gem/GuessTheNumber-Easy-v0", 4
    vec = gem_gymnasium.make_vec(
        env_id, n, vectorization_mode=vectorization_mode, autoreset_mode=DISABLED
    )
    singles = [gym.make(env_id) for _ in range(n)]
    try:
        obs, _ = vec.reset(seed=20)
        for i, env in enumerate(singles):
            assert env.reset(seed=20 + i)[0] == obs[i]
        finished = np.zeros(n, dtype=bool)
        returns = np.zeros(n)
        expected_returns = np.zeros(n)
        for _ in range(20):
            actions = [None if finished[i] else random_action(env) for i, env in enumerate(singles)]
            obs, rewards, terminated, truncated, infos = vec.step(tuple(actions))
            for i, (env, action) in enumerate(zip(singles, actions, strict=True)):
                if action is not None:
                    o, r, *_ = env.step(action)
                    assert obs[i] == o
                    expected_returns[i] += r
                else:
                    assert not infos["_turn"][i] and rewards[i] == 0.0
            returns += rewards
            finished |= terminated | truncated
            if finished.all():
                break
        assert finished.all()
        assert np.allclose(returns, expected_returns)
    finally:
        vec.close()


@pytest.mark.parametrize("mode", MODES, ids=[m.value for m in MODES])
def test_all_none_step_changes_nothing(mode: gym.vector.AutoresetMode) -> None:
    vec = gem_gymnasium.make_vec("gem/GuessTheNumber-v0", 2, autoreset_mode=mode)
    try:
        obs, _ = vec.reset(seed=0)
        again, rewards, terminated, truncated, infos = vec.step((None, None))
        assert again == obs and infos == {}
        assert not rewards.any() and not terminated.any() and not truncated.any()
        assert vec.get_attr("turn") == (0, 0)
    finally:
        vec.close()


def test_step_before_reset_and_wrong_action_count() -> None:
    vec = gem_gymnasium.make_vec("gem/GuessTheNumber-v0", 2)
    try:
        with pytest.raises(gym.error.ResetNeeded):
            vec.step(("a", "b"))
        vec.reset()
        with pytest.raises(ValueError, match="expected 2 actions"):
            vec.step(("a",))
        with pytest.raises(ValueError, match="2 seeds"):
            vec.reset(seed=[1, 2, 3])
        with pytest.raises(TypeError, match="reset_mask"):
            vec.reset(options={"reset_mask": [True, False]})
        with pytest.raises(ValueError, match="at least one"):
            vec.reset(options={"reset_mask": np.zeros(2, dtype=bool)})
    finally:
        vec.close()


def test_reset_mask_does_not_mutate_options_and_passes_the_rest() -> None:
    vec = gem_gymnasium.make_vec(SLEEP_ID, 2)
    try:
        vec.reset(seed=0)
        options = {"reset_mask": np.array([True, False]), "extra": 1}
        _, infos = vec.reset(options=options)
        assert "reset_mask" in options
        assert infos["_t"].tolist() == [True, False]
    finally:
        vec.close()


@pytest.mark.parametrize("vectorization_mode", ["sync", "thread"])
def test_call_get_set_attr_render(vectorization_mode: str) -> None:
    vec = gem_gymnasium.make_vec(
        SLEEP_ID, 2, vectorization_mode=vectorization_mode, env_kwargs={"render_mode": "ansi"}
    )
    try:
        vec.reset(seed=0)
        assert vec.get_attr("length") == (3, 3)
        vec.set_attr("length", [1, 5])
        assert vec.get_attr("length") == (1, 5)
        vec.set_attr("delay", 0.0)
        assert vec.get_attr("delay") == (0.0, 0.0)
        with pytest.raises(ValueError, match="2 values"):
            vec.set_attr("length", [1])
        assert vec.render() == ("SleepEnv t=0", "SleepEnv t=0")
        assert vec.call("render") == vec.render()
        assert len(vec.np_random_seed) == 2 and len(vec.np_random) == 2
        assert vec.render_mode == "ansi"
        _, _, terminated, *_ = vec.step(("a", "b"))
        assert terminated.tolist() == [True, False]
    finally:
        vec.close()


# --- nothing leaks after close() ---------------------------------------------------------------


def _gem_threads() -> set[threading.Thread]:
    return {t for t in threading.enumerate() if t.name.startswith("gem-vector")}


@pytest.mark.parametrize("vectorization_mode", VECTOR_MODES)
def test_close_releases_every_worker(vectorization_mode: str) -> None:
    threads_before = _gem_threads()
    vec = gem_gymnasium.make_vec(SLEEP_ID, 4, vectorization_mode=vectorization_mode)
    vec.reset(seed=0)
    vec.step(("a",) * 4)
    if vectorization_mode == "thread":
        assert len(_gem_threads() - threads_before) == 4
    if vectorization_mode == "async":
        assert len(multiprocessing.active_children()) >= 4
        processes = list(vec.processes)
    else:
        envs = list(vec.envs)
    vec.close()
    vec.close()  # idempotent
    assert vec.closed
    with pytest.raises(gym.error.ClosedEnvironmentError):
        vec.step(("a",) * 4)
    deadline = time.monotonic() + 5
    while _gem_threads() - threads_before and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not _gem_threads() - threads_before, "worker threads left running"
    if vectorization_mode == "async":
        assert not any(p.is_alive() for p in processes), "worker processes left running"
    else:
        assert [env.unwrapped.close_calls for env in envs] == [1] * 4


def test_garbage_collected_thread_env_stops_its_threads() -> None:
    threads_before = _gem_threads()
    vec = gem_gymnasium.make_vec(SLEEP_ID, 2, vectorization_mode="thread")
    vec.reset(seed=0)
    del vec
    deadline = time.monotonic() + 5
    while _gem_threads() - threads_before and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not _gem_threads() - threads_before
