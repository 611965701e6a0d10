"""Every registered id passes the conformance checks of :mod:`gem_gymnasium.testing`.

Parametrised over :func:`gem_gymnasium.catalogue`, so an env is checked as soon as it is
registered.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import gem_gymnasium
from gem_gymnasium import testing

ENV_IDS = sorted(gem_gymnasium.catalogue())


@pytest.fixture(params=ENV_IDS)
def env_id(request: pytest.FixtureRequest) -> str:
    return request.param


def test_gymnasium_env_checker(env_id: str) -> None:
    testing.check_gymnasium_checker(env_id)


def test_make_with_passive_checker(env_id: str) -> None:
    testing.check_passive_make(env_id)


def test_same_seed_same_trajectory(env_id: str) -> None:
    testing.check_determinism(env_id)


def test_non_str_actions_raise_type_error(env_id: str) -> None:
    testing.check_type_error(env_id)


def test_pickle_mid_episode(env_id: str) -> None:
    testing.check_pickle(env_id)


def test_snapshot_restore(env_id: str) -> None:
    testing.check_snapshot(env_id)


def test_hostile_actions(env_id: str) -> None:
    testing.check_fuzz(env_id)


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_make_vec(env_id: str, mode: str) -> None:
    testing.check_vector(env_id, mode)


# Actions built from the pieces that break parsers: boxes, braces, unicode, control characters.
_fragments = st.sampled_from(
    ["\\boxed{", "}", "{", "\\", " ", "\n", "0", "7", "-", "up", "A C", "reveal 1 1", "é", "\x00"]
)
hostile_text = st.one_of(
    st.text(max_size=200),
    st.lists(_fragments, max_size=40).map("".join),
    st.integers(-(10**30), 10**30).map(lambda n: f"\\boxed{{{n}}}"),
    st.text(max_size=30).map(lambda t: f"\\boxed{{{t}}}"),
)


@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
@given(actions=st.lists(hostile_text, min_size=20, max_size=60), data=st.data())
def test_fuzzed_actions_every_id(actions: list[str], data: st.DataObject) -> None:
    env_id = data.draw(st.sampled_from(ENV_IDS))
    testing.check_fuzz(env_id, actions, seed=data.draw(st.integers(0, 2**31 - 1)))


def test_same_trajectory_in_another_process() -> None:
    """Seeding does not depend on the process (hash seed, import order, global RNG state)."""
    sample = ENV_IDS[:: max(1, len(ENV_IDS) // 40)]
    code = (
        "import json, sys, gem_gymnasium\n"
        "from gem_gymnasium.testing import trajectory_digest\n"
        "print(json.dumps({i: trajectory_digest(i) for i in json.loads(sys.argv[1])}))\n"
    )
    np.random.seed(1234)  # perturb the global RNG here: envs must not use it
    env = {**os.environ, "PYTHONHASHSEED": "97"}
    child = subprocess.run(
        [sys.executable, "-c", code, json.dumps(sample)],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        check=True,
    )
    assert json.loads(child.stdout) == {i: testing.trajectory_digest(i) for i in sample}
