"""Shared helpers of the vector tests: a single-env reference of Gymnasium's vector semantics,
a driver that steps a vector env and the reference in lock-step, and small test envs."""

from __future__ import annotations

import importlib
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.vector import AutoresetMode

import gem_gymnasium
from gem_gymnasium.spaces import TextSpace
from gem_gymnasium.testing import random_action

NEXT, SAME, DISABLED = AutoresetMode.NEXT_STEP, AutoresetMode.SAME_STEP, AutoresetMode.DISABLED
MODES = (NEXT, SAME, DISABLED)
FORMAT_ERROR = "I will not answer in the expected format."


def available_ids() -> list[str]:
    """Every catalogued id whose module exists (ids being written by others are skipped)."""
    ids = []
    for env_id, info in gem_gymnasium.catalogue().items():
        module = info.entry_point.split(":")[0]
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as error:
            if error.name and module.startswith(error.name):
                continue  # the env's own module is not written yet
            raise
        ids.append(env_id)
    return ids


#: Families with more presets than this (reasoning-gym's hundred datasets) are sampled evenly:
#: they share one class, and building each of them costs a dataset.
MAX_IDS_PER_FAMILY = 6


def family_ids() -> dict[str, list[str]]:
    """Available ids grouped by entry point, in catalogue order."""
    catalogue = gem_gymnasium.catalogue()
    families: dict[str, list[str]] = {}
    for env_id in available_ids():
        families.setdefault(catalogue[env_id].entry_point, []).append(env_id)
    return families


def tested_ids() -> list[str]:
    """Every available id, except that families above MAX_IDS_PER_FAMILY are sampled evenly."""
    ids = []
    for members in family_ids().values():
        step = max(1, -(-len(members) // MAX_IDS_PER_FAMILY))
        ids += members[::step]
    return ids


def representative_ids() -> list[str]:
    """The first id of every family (entry point)."""
    return [members[0] for members in family_ids().values()]


def id_params(ids: Sequence[str] | None = None) -> list[Any]:
    return [pytest.param(env_id, id=env_id) for env_id in (tested_ids() if ids is None else ids)]


# --- the reference: single envs driven by the rules of Gymnasium's autoreset modes -------------


class Reference:
    """Single envs stepped as a vector env should step them (``None`` skips a sub-env)."""

    def __init__(self, envs: Sequence[gym.Env], mode: AutoresetMode) -> None:
        self.envs = list(envs)
        self.mode = mode
        self.pending = [False] * len(self.envs)
        self.obs: list[Any] = [None] * len(self.envs)

    def reset(self, seeds: Sequence[int | None], indices: Sequence[int] | None = None) -> list:
        infos = []
        for i in range(len(self.envs)) if indices is None else indices:
            self.obs[i], info = self.envs[i].reset(seed=seeds[i])
            self.pending[i] = False
            infos.append((i, info))
        return infos

    def step(self, actions: Sequence[Any]) -> list[tuple[Any, float, bool, bool, dict] | None]:
        out: list[tuple[Any, float, bool, bool, dict] | None] = []
        for i, (env, action) in enumerate(zip(self.envs, actions, strict=True)):
            if self.mode is NEXT and self.pending[i]:
                self.obs[i], info = env.reset()
                self.pending[i] = False
                out.append((self.obs[i], 0.0, False, False, info))
                continue
            if action is None:
                out.append(None)
                continue
            obs, reward, terminated, truncated, info = env.step(action)
            if self.mode is SAME and (terminated or truncated):
                reset_obs, reset_info = env.reset()
                info = {"final_obs": obs, "final_info": info, **reset_info}
                obs = reset_obs
            else:
                self.pending[i] = terminated or truncated
            self.obs[i] = obs
            out.append((obs, reward, terminated, truncated, info))
        return out


def unbatch(infos: dict[str, Any], index: int) -> dict[str, Any]:
    """Sub-env ``index``'s info out of a vector info dict, read through the ``_key`` masks."""
    out = {}
    for key, value in infos.items():
        if key.startswith("_") and key[1:] in infos:
            continue
        if not infos[f"_{key}"][index]:
            continue
        out[key] = unbatch(value, index) if isinstance(value, dict) else value[index]
    return out


def assert_info_equal(got: dict[str, Any], expected: dict[str, Any], where: str) -> None:
    assert got.keys() == expected.keys(), f"{where}: info keys {sorted(got)} != {sorted(expected)}"
    for key, value in expected.items():
        if isinstance(value, dict):
            assert_info_equal(got[key], value, f"{where}[{key}]")
        elif isinstance(value, np.ndarray):
            assert np.array_equal(got[key], value), f"{where}: info[{key!r}]"
        else:
            assert got[key] == value, f"{where}: info[{key!r}] {got[key]!r} != {value!r}"


def make_actions(
    envs: Sequence[gym.Env], rng: np.random.Generator, none_prob: float = 0.0
) -> list[Any]:
    """Well-formed random actions with some format errors (they end episodes early)."""
    actions: list[Any] = []
    for env in envs:
        roll = rng.random()
        if roll < none_prob:
            actions.append(None)
        elif roll < none_prob + 0.15:
            actions.append(FORMAT_ERROR)
        else:
            actions.append(random_action(env))
    return actions


def drive(
    vec: gym.vector.VectorEnv,
    make_single: Sequence[Callable[[], gym.Env]],
    mode: AutoresetMode,
    *,
    seed: int = 3,
    steps: int = 10,
    none_prob: float = 0.0,
) -> int:
    """Step ``vec`` and a :class:`Reference` alike; assert identical results. Returns episodes ended."""
    n = vec.num_envs
    reference = Reference([make() for make in make_single], mode)
    rng = np.random.default_rng(seed)
    ended = 0
    try:
        obs, infos = vec.reset(seed=seed)
        expected = reference.reset([seed + i for i in range(n)])
        assert tuple(obs) == tuple(reference.obs), "reset observations differ"
        for i, info in expected:
            assert_info_equal(unbatch(infos, i), info, f"reset info of sub-env {i}")
        for t in range(steps):
            actions = make_actions(reference.envs, rng, none_prob)
            last_obs = list(reference.obs)
            obs, rewards, terminated, truncated, infos = vec.step(tuple(actions))
            results = reference.step(actions)
            assert isinstance(obs, tuple) and len(obs) == n
            assert rewards.dtype == np.float64 and terminated.dtype == truncated.dtype == np.bool_
            for i, result in enumerate(results):
                where = f"step {t}, sub-env {i} ({mode.value})"
                if result is None:  # skipped: unchanged obs, no reward, no flags, no info
                    assert obs[i] == last_obs[i], where
                    assert (rewards[i], terminated[i], truncated[i]) == (0.0, False, False), where
                    assert unbatch(infos, i) == {}, where
                    continue
                assert obs[i] == result[0], f"{where}: observation"
                assert rewards[i] == pytest.approx(result[1]), f"{where}: reward"
                assert (bool(terminated[i]), bool(truncated[i])) == result[2:4], f"{where}: flags"
                assert_info_equal(unbatch(infos, i), result[4], where)
            done = terminated | truncated
            ended += int(done.sum())
            if mode is DISABLED and done.any():
                obs, infos = vec.reset(options={"reset_mask": done})
                expected = reference.reset([None] * n, np.flatnonzero(done).tolist())
                assert tuple(obs) == tuple(reference.obs), "masked reset observations differ"
                for i, info in expected:
                    assert_info_equal(unbatch(infos, i), info, f"masked reset info of sub-env {i}")
                assert not any(unbatch(infos, i) for i in np.flatnonzero(~done)), "extra infos"
    finally:
        for env in reference.envs:
            env.close()
    return ended


# --- small test envs -------------------------------------------------------------------------------


class SleepEnv(gym.Env[str, str]):
    """A text env whose step waits ``delay`` seconds (I/O stand-in).

    Actions: ``"fail"`` raises ValueError, ``"sleep <s>"`` waits ``s`` seconds, anything else waits
    ``delay``. Episodes last ``length`` steps. Counts how often it was closed.
    """

    metadata = {"render_modes": ["ansi"], "render_fps": 4}  # noqa: RUF012

    def __init__(self, delay: float = 0.0, length: int = 3, render_mode: str | None = None):
        self.delay = delay
        self.length = length
        self.render_mode = render_mode
        self.observation_space = TextSpace(256)
        self.action_space = TextSpace(256)
        self.t = 0
        self.close_calls = 0
        self.threads: list[str] = []

    def reset(self, *, seed: int | None = None, options: dict | None = None) -> tuple[str, dict]:
        super().reset(seed=seed)
        self.threads.append(threading.current_thread().name)
        self.t = 0
        return f"start {int(self.np_random.integers(1000))}", {"t": 0}

    def step(self, action: str) -> tuple[str, float, bool, bool, dict]:
        self.threads.append(threading.current_thread().name)
        if action == "fail":
            raise ValueError("boom")
        time.sleep(float(action[6:]) if action.startswith("sleep ") else self.delay)
        self.t += 1
        return f"t={self.t} {action}", 1.0, self.t >= self.length, False, {"t": self.t}

    def render(self) -> str:
        return f"SleepEnv t={self.t}"

    def close(self) -> None:
        self.close_calls += 1


SLEEP_ID = "vectortest/Sleep-v0"
if SLEEP_ID not in gym.registry:
    gym.register(SLEEP_ID, entry_point=SleepEnv)
