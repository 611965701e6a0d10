"""Every registered id in every vector mode and autoreset mode gives the single envs' results.

Parametrised over :func:`gem_gymnasium.catalogue`, so ids added later are covered too: every id
in our default mode; every autoreset mode, thread and async on one id of each family (entry
point), since presets of a family share their code and the async mode costs a process each.
"""

from __future__ import annotations

from functools import partial

import gymnasium as gym
import numpy as np
import pytest
from vector_checks import (
    DISABLED,
    MODES,
    NEXT,
    SAME,
    available_ids,
    drive,
    id_params,
    representative_ids,
)

import gem_gymnasium
from gem_gymnasium.vector import SkipNoneAction, TextSyncVectorEnv

MODE_PARAMS = [pytest.param(mode, id=mode.value) for mode in MODES]


@pytest.mark.parametrize("env_id", id_params())
def test_make_vec_sync_every_id(env_id: str) -> None:
    """Our default (sync, SameStep) with partial steps, for every id."""
    vec = gem_gymnasium.make_vec(env_id, 2)
    try:
        drive(vec, [partial(gym.make, env_id)] * 2, SAME, steps=6, none_prob=0.2)
    finally:
        vec.close()


@pytest.mark.parametrize("env_id", id_params(representative_ids()))
@pytest.mark.parametrize("mode", MODE_PARAMS)
def test_every_autoreset_mode_every_family(env_id: str, mode: gym.vector.AutoresetMode) -> None:
    """Our sync env and Gymnasium's own make_vec (its defaults but the autoreset mode)."""
    ours = gem_gymnasium.make_vec(env_id, 2, autoreset_mode=mode)
    kwargs = {} if mode is NEXT else {"vector_kwargs": {"autoreset_mode": mode}}
    theirs = gym.make_vec(env_id, num_envs=2, vectorization_mode="sync", **kwargs)
    try:
        drive(ours, [partial(gym.make, env_id)] * 2, mode, steps=8, none_prob=0.2)
        drive(theirs, [partial(gym.make, env_id)] * 2, mode, steps=6)
    finally:
        ours.close()
        theirs.close()


@pytest.mark.parametrize("mode", MODE_PARAMS)
def test_gymnasium_make_vec_async_text_observations(mode: gym.vector.AutoresetMode) -> None:
    """Shared-memory text observations are the live strings after every reset and step."""
    env_id = "gem/GuessTheNumber-Easy-v0"
    kwargs = {} if mode is NEXT else {"vector_kwargs": {"autoreset_mode": mode}}
    vec = gym.make_vec(env_id, num_envs=3, vectorization_mode="async", **kwargs)
    try:
        assert drive(vec, [partial(gym.make, env_id)] * 3, mode, steps=14) > 0
    finally:
        vec.close()


@pytest.mark.parametrize("vectorization_mode", ["thread", "async"])
def test_every_family_mixed(vectorization_mode: str) -> None:
    """One id of every family side by side in one vector env (async: a process each)."""
    ids = representative_ids()
    vec = gem_gymnasium.make_vec(ids, vectorization_mode=vectorization_mode)
    try:
        assert isinstance(vec, gym.vector.VectorEnv)
        assert vec.metadata["autoreset_mode"] is SAME
        drive(vec, [partial(gym.make, i) for i in ids], SAME, steps=5, none_prob=0.2)
    finally:
        vec.close()


@pytest.mark.parametrize("vectorization_mode", ["sync", "thread", "async"])
@pytest.mark.parametrize("mode", MODE_PARAMS)
def test_mixed_ids_every_mode(vectorization_mode: str, mode: gym.vector.AutoresetMode) -> None:
    """A game, a puzzle and a math task in one vector env."""
    ids = [
        i
        for i in ("gem/GuessTheNumber-v0", "gem/Sudoku-Easy-v0", "gem/Mastermind-Easy-v0")
        if i in available_ids()
    ]
    ids += [i for i in available_ids() if i.startswith("gem/Math")][:1]
    vec = gem_gymnasium.make_vec(ids, vectorization_mode=vectorization_mode, autoreset_mode=mode)
    try:
        drive(vec, [partial(gym.make, i) for i in ids], mode, steps=12, none_prob=0.1)
    finally:
        vec.close()


def _assert_same_infos(got: dict, expected: dict) -> None:
    """Identical vector infos: keys in order, dtypes and values (Gymnasium's layout exactly)."""
    assert list(got) == list(expected)
    for key, value in expected.items():
        if isinstance(value, dict):
            _assert_same_infos(got[key], value)
        else:
            assert got[key].dtype == value.dtype, key
            assert got[key].tolist() == value.tolist(), key


@pytest.mark.parametrize("mode", MODE_PARAMS)
def test_text_sync_matches_gymnasium_sync_exactly(mode: gym.vector.AutoresetMode) -> None:
    """TextSyncVectorEnv returns what Gymnasium's SyncVectorEnv returns, dtypes included."""
    ids = ["gem/GuessTheNumber-Easy-v0", "gem/GuessTheNumber-v0"] * 2
    fns = [partial(gym.make, i) for i in ids]
    ours = TextSyncVectorEnv(fns, autoreset_mode=mode)
    theirs = gym.vector.SyncVectorEnv(
        [lambda f=f: SkipNoneAction(f()) for f in fns], autoreset_mode=mode
    )
    rng = np.random.default_rng(0)
    try:
        a, b = ours.reset(seed=5), theirs.reset(seed=5)
        assert a[0] == b[0]
        _assert_same_infos(a[1], b[1])
        for _ in range(30):
            actions = tuple(
                None if rng.random() < 0.15 and mode is not DISABLED else f"\\boxed{{{k}}}"
                for k in rng.integers(0, 12, size=len(ids))
            )
            a, b = ours.step(actions), theirs.step(actions)
            assert a[0] == b[0]
            for x, y in zip(a[1:4], b[1:4], strict=True):
                assert x.dtype == y.dtype and x.tolist() == y.tolist()
            _assert_same_infos(a[4], b[4])
            done = a[2] | a[3]
            if mode is DISABLED and done.any():
                a = ours.reset(options={"reset_mask": done})
                b = theirs.reset(options={"reset_mask": done.copy()})
                assert a[0] == b[0]
                _assert_same_infos(a[1], b[1])
    finally:
        ours.close()
        theirs.close()
