"""Every registered id passes the conformance checks of :mod:`gem_gymnasium.testing`.

Parametrised over :func:`gem_gymnasium.catalogue`, so an env is checked as soon as it is
registered.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import gem_gymnasium
from gem_gymnasium import testing

CATALOGUE = gem_gymnasium.catalogue()
ENV_IDS = sorted(CATALOGUE)

# Multi-turn games get long rollouts. In a single-turn task every step is a whole episode (a
# fresh question; some reasoning-gym generators take 0.1-0.3 s each), so a few episodes exercise
# the same code paths; the fixed hostile actions still all run.
MULTI_TURN_GROUPS = {"game", "multiagent", "user"}


def _steps(env_id: str, multi_turn: int, single_turn: int) -> int:
    return multi_turn if CATALOGUE[env_id].group in MULTI_TURN_GROUPS else single_turn


def _kwargs(env_id: str) -> dict:
    # A reasoning-gym puzzle can take seconds to generate (knight_swap, zebra_puzzles); a
    # three-item dataset exercises the same env, generator and scorer with cached items.
    return {"size": 3} if CATALOGUE[env_id].group == "reasoning" else {}


@pytest.fixture(params=ENV_IDS)
def env_id(request: pytest.FixtureRequest) -> str:
    return request.param


def test_gymnasium_env_checker(env_id: str) -> None:
    testing.check_gymnasium_checker(env_id, **_kwargs(env_id))


def test_make_with_passive_checker(env_id: str) -> None:
    testing.check_passive_make(env_id, steps=_steps(env_id, 20, 3), **_kwargs(env_id))


def test_rgb_array_frames(env_id: str) -> None:
    testing.check_rgb_array(env_id, steps=_steps(env_id, 12, 2), **_kwargs(env_id))


def test_same_seed_same_trajectory(env_id: str) -> None:
    testing.check_determinism(env_id, steps=_steps(env_id, 40, 4), **_kwargs(env_id))


def test_non_str_actions_raise_type_error(env_id: str) -> None:
    testing.check_type_error(env_id, **_kwargs(env_id))


def test_pickle_mid_episode(env_id: str) -> None:
    testing.check_pickle(env_id, **_kwargs(env_id))


def test_snapshot_restore(env_id: str) -> None:
    testing.check_snapshot(env_id, **_kwargs(env_id))


def test_hostile_actions(env_id: str) -> None:
    count = _steps(env_id, 300, len(testing.FIXED_HOSTILE_ACTIONS))
    testing.check_fuzz(
        env_id, testing.hostile_actions(np.random.default_rng(0), count), **_kwargs(env_id)
    )


def test_make_vec_sync(env_id: str) -> None:
    testing.check_vector(env_id, "sync", **_kwargs(env_id))


# All reasoning-gym ids are one class over different generators; each async check starts worker
# processes that import reasoning-gym afresh (seconds each), so a fixed sample covers that path.
RG_IDS = [i for i in ENV_IDS if CATALOGUE[i].group == "reasoning"]
ASYNC_IDS = [i for i in ENV_IDS if i not in RG_IDS] + RG_IDS[::20]


@pytest.mark.parametrize("async_id", ASYNC_IDS)
def test_make_vec_async(async_id: str) -> None:
    testing.check_vector(async_id, "async", **_kwargs(async_id))


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


MULTI_TURN_IDS = [i for i in ENV_IDS if CATALOGUE[i].group in MULTI_TURN_GROUPS]


@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
@given(actions=st.lists(hostile_text, min_size=20, max_size=60), data=st.data())
def test_fuzzed_actions_multi_turn(actions: list[str], data: st.DataObject) -> None:
    env_id = data.draw(st.sampled_from(MULTI_TURN_IDS))
    testing.check_fuzz(
        env_id, actions, seed=data.draw(st.integers(0, 2**31 - 1)), **_kwargs(env_id)
    )


@settings(max_examples=4, deadline=None, suppress_health_check=list(HealthCheck))
@given(actions=st.lists(hostile_text, min_size=3, max_size=8), data=st.data())
def test_fuzzed_actions_single_turn(actions: list[str], data: st.DataObject) -> None:
    env_id = data.draw(st.sampled_from([i for i in ENV_IDS if i not in MULTI_TURN_IDS]))
    testing.check_fuzz(
        env_id, actions, seed=data.draw(st.integers(0, 2**31 - 1)), **_kwargs(env_id)
    )


def test_every_answer_format(env_id: str) -> None:
    testing.check_answer_formats(env_id, steps=_steps(env_id, 12, 2), **_kwargs(env_id))


# Tool calls as a client would send them, right or wrong: names of the env's tools or not, any
# JSON arguments, as Hermes blocks, OpenAI messages (dicts or JSON) or bare calls.
_json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**30), 10**30) | st.floats() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


@st.composite
def tool_call_actions(draw: st.DrawFn, names: list[str], properties: list[str]) -> object:
    name = draw(st.sampled_from(names) | st.text(max_size=12))
    arguments = draw(
        st.dictionaries(st.sampled_from(properties) | st.text(max_size=8), _json_values, max_size=4)
        | _json_values
    )
    call = {"name": name, "arguments": arguments}
    encoded = json.dumps(call)
    function = {"name": name, "arguments": json.dumps(arguments)}
    message = {"role": "assistant", "content": None, "tool_calls": [{"function": function}]}
    return draw(
        st.sampled_from(
            [
                f"I'll call it. <tool_call>{encoded}</tool_call>",
                f"<tool_call>{encoded[: len(encoded) // 2]}</tool_call>",  # cut JSON
                message,
                json.dumps(message),
                encoded,
                f"<tool_call>{encoded}</tool_call><tool_call>{encoded}</tool_call>",
            ]
        )
    )


TOOL_CALL_IDS = MULTI_TURN_IDS + [i for i in ENV_IDS if i not in MULTI_TURN_IDS][::10]


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_generated_tool_calls_get_clear_answers(data: st.DataObject) -> None:
    env_id = data.draw(st.sampled_from(TOOL_CALL_IDS))
    env = gem_gymnasium.make(env_id, answer_format="tool_call", **_kwargs(env_id))
    tools = [t.schema()["function"] for t in env.unwrapped.move_tools]
    names = [t["name"] for t in tools]
    properties = [p for t in tools for p in t["parameters"]["properties"]] or ["x"]
    try:
        env.reset(seed=data.draw(st.integers(0, 2**31 - 1)))
        for _ in range(data.draw(st.integers(1, 6))):
            action = data.draw(tool_call_actions(names, properties))
            observation, reward, terminated, truncated, info = env.step(action)
            assert math.isfinite(reward)
            if info["format_error"]:
                first = observation.splitlines()[0]
                assert first.startswith("Format error: "), first
                assert len(first) > len("Format error: ") + 10, first
            if terminated or truncated:
                env.reset()
    finally:
        env.close()


def test_same_trajectory_in_another_process() -> None:
    """Seeding does not depend on the process (hash seed, import order, global RNG state)."""
    sample = ENV_IDS[:: max(1, len(ENV_IDS) // 20)]
    sample = [i for i in sample if not _kwargs(i)] + [i for i in sample if _kwargs(i)][:3]
    code = (
        "import json, sys, gem_gymnasium\n"
        "from gem_gymnasium.testing import trajectory_digest\n"
        "ids, kwargs = json.loads(sys.argv[1]), json.loads(sys.argv[2])\n"
        "print(json.dumps({i: trajectory_digest(i, **kwargs[i]) for i in ids}))\n"
    )
    kwargs = {i: _kwargs(i) for i in sample}
    np.random.seed(1234)  # perturb the global RNG here: envs must not use it
    env = {**os.environ, "PYTHONHASHSEED": "97"}
    child = subprocess.run(
        [sys.executable, "-c", code, json.dumps(sample), json.dumps(kwargs)],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        check=True,
    )
    assert json.loads(child.stdout) == {
        i: testing.trajectory_digest(i, **kwargs[i]) for i in sample
    }
