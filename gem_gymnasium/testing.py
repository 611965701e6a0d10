r"""Conformance checks that every registered environment must pass.

Each ``check_*`` function takes an env id (anything :func:`gem_gymnasium.make` accepts), raises
``AssertionError`` (or the offending exception) on a broken contract and returns ``None``
otherwise. The test suite parametrises them over every registered id and ``gem-gym check`` runs
them on installed or user environments, so a new env is checked the moment it is registered.

>>> from gem_gymnasium.testing import run_checks
>>> all(result.passed for result in run_checks("gem/GuessTheNumber-Easy-v0"))
True
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import pickle
import time
import traceback
import warnings
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium.utils.env_checker import check_env

from gem_gymnasium.actions import AnswerFormat
from gem_gymnasium.core import TextEnv
from gem_gymnasium.registration import resolve_id

__all__ = [
    "ANSWER_FORMAT_VARIANTS",
    "CHECKS",
    "FIXED_HOSTILE_ACTIONS",
    "FIXED_HOSTILE_TOOL_CALLS",
    "CheckResult",
    "check_answer_formats",
    "check_determinism",
    "check_fuzz",
    "check_gymnasium_checker",
    "check_passive_make",
    "check_pickle",
    "check_rgb_array",
    "check_snapshot",
    "check_type_error",
    "check_vector",
    "hostile_actions",
    "hostile_tool_calls",
    "rollout",
    "run_checks",
]

REQUIRED_INFO_KEYS = ("turn", "max_turns", "valid_action", "format_error")
FINAL_INFO_KEYS = ("success", "reason")

Transition = tuple[str, float, bool, bool, dict[str, Any]]


def _make(env_id: str, **kwargs: Any) -> gym.Env:
    return gym.make(resolve_id(env_id), **kwargs)


def random_action(env: gym.Env) -> str:
    """A well-formed random action if the env can give one, else a random string."""
    sampler = getattr(env.unwrapped, "sample_random_action", None)
    return sampler() if callable(sampler) else env.action_space.sample()


def rollout(
    env: gym.Env,
    seed: int,
    steps: int,
    actions: Iterable[str] | None = None,
) -> list[Transition]:
    """Play ``steps`` steps from ``reset(seed=seed)``, resetting (unseeded) after each episode.

    ``actions`` defaults to the env's own random well-formed actions, drawn from its action space
    seeded with ``seed``; the first entry of the result is the reset observation and info.
    """
    obs, info = env.reset(seed=seed)
    env.action_space.seed(seed)
    source: Iterator[str] | None = iter(actions) if actions is not None else None
    trajectory: list[Transition] = [(obs, 0.0, False, False, info)]
    for _ in range(steps):
        action = next(source, None) if source is not None else random_action(env)
        if action is None:
            break
        obs, reward, terminated, truncated, info = env.step(action)
        trajectory.append((obs, float(reward), terminated, truncated, info))
        if terminated or truncated:
            obs, info = env.reset()
            trajectory.append((obs, 0.0, False, False, info))
    return trajectory


#: Adversarial actions every env must survive: empty, huge, control characters, unicode, broken,
#: nested and numerous boxes, absurd numbers, tool-call bait.
FIXED_HOSTILE_ACTIONS: tuple[str, ...] = (
    "",
    " ",
    "x" * 1_000_000,
    "\\boxed{" * 5_000,
    "}" * 5_000 + "\\boxed{1}",
    "\\boxed{}" * 3_000,
    "\\boxed{\\boxed{\\boxed{1}}}",
    "\\boxed{1" * 1_000,
    "\x00\x01\x02\x1b[31m\r\n\t\x7f",
    "\\boxed{\x00}",
    "\\boxed{😀 ∑ 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 \u202e\ud800}",
    "\\boxed{" + "9" * 10_000 + "}",
    "\\boxed{-1}",
    "\\boxed{1e999}",
    "\\boxed{nan}",
    "<answer></answer><python>while True: pass</python>",
    "\\boxed{" + "a " * 50_000 + "}",
)


def hostile_actions(rng: np.random.Generator, count: int) -> Iterator[str]:
    """:data:`FIXED_HOSTILE_ACTIONS`, then random strings built from parser-breaking pieces."""
    fixed = FIXED_HOSTILE_ACTIONS
    pieces = ["\\boxed{", "}", "{", "\\", "boxed", " ", "\n", "1", "-", "up", "A", "é", "\x00"]
    for i in range(count):
        if i < len(fixed):
            yield fixed[i]
        else:
            size = int(rng.integers(0, 40))
            yield "".join(pieces[j] for j in rng.integers(0, len(pieces), size=size))


#: Tool-call actions every ``answer_format="tool_call"`` env must answer with a clear format
#: error (or an invalid move), never an exception: bad JSON, unknown tools, missing, extra and
#: mistyped arguments, absurd values, OpenAI messages that are malformed, several calls.
FIXED_HOSTILE_TOOL_CALLS: tuple[str | dict[str, Any], ...] = (
    "<tool_call></tool_call>",
    "<tool_call>{</tool_call>",
    "<tool_call>null</tool_call>",
    "<tool_call>[1, 2]</tool_call>",
    '<tool_call>{"arguments": {}}</tool_call>',
    '<tool_call>{"name": 3}</tool_call>',
    '<tool_call>{"name": "no_such_tool", "arguments": {}}</tool_call>',
    '<tool_call>{"name": "' + "x" * 10_000 + '"}</tool_call>',
    "<tool_call>" + "[" * 100_000 + "</tool_call>",
    '<tool_call>{"name": "a", "arguments": ' + "9" * 5_000 + "}</tool_call>",
    "<tool_call>" * 5_000,
    "</tool_call>" * 5_000,
    '{"tool_calls": []}',
    '{"tool_calls": "guess"}',
    '[{"name": "x"}, {"name": "y"}]',
    '{"role": "assistant", "content": null, "tool_calls": [{"function": {"name": "x", '
    '"arguments": "{not json"}}]}',
    {"role": "assistant", "tool_calls": [{"type": "function", "function": {"name": 5}}]},
    {"role": "assistant", "tool_calls": None},
    {},
)


def hostile_tool_calls(
    env: gym.Env, rng: np.random.Generator, count: int
) -> Iterator[str | dict[str, Any]]:
    """:data:`FIXED_HOSTILE_TOOL_CALLS`, then calls of the env's own tools with wrong arguments."""
    yield from FIXED_HOSTILE_TOOL_CALLS
    tools = [t.schema()["function"] for t in getattr(env.unwrapped, "move_tools", ())]
    values: list[Any] = [
        None,
        True,
        -1,
        0,
        10**40,
        10**5000,
        1e308,
        1.5,
        float("nan"),
        "",
        "x" * 300,
        [],
        {},
        [1],
    ]
    for _ in range(count):
        tool = tools[int(rng.integers(len(tools)))] if tools else {"name": "t", "parameters": {}}
        names = [*tool["parameters"].get("properties", {}), "extra"]
        arguments = {
            names[int(rng.integers(len(names)))]: values[int(rng.integers(len(values)))]
            for _ in range(int(rng.integers(0, 4)))
        }
        call = {"name": tool["name"], "arguments": arguments}
        try:
            encoded = json.dumps(call)
        except ValueError:  # a number past int -> str's digit limit: only a dict can carry it
            yield {"role": "assistant", "tool_calls": [{"type": "function", "function": call}]}
            continue
        if rng.random() < 0.5:
            yield f"<tool_call>{encoded}</tool_call>"
        else:
            function = {"name": call["name"], "arguments": json.dumps(arguments)}
            yield {"role": "assistant", "tool_calls": [{"type": "function", "function": function}]}


#: One of each kind of answer format: the named ones and a pair of custom delimiters.
ANSWER_FORMAT_VARIANTS: tuple[str | tuple[str, str], ...] = (
    "boxed",
    "answer_tags",
    "code_block",
    "tool_call",
    ("<move>", "</move>"),
)

# --- individual checks ------------------------------------------------------------------------


def check_gymnasium_checker(env_id: str, **make_kwargs: Any) -> None:
    """Gymnasium's ``check_env`` on the unwrapped env, with every warning an error."""
    env = _make(env_id, **make_kwargs)
    try:
        # check_env renders every declared mode; keep "human" output off the terminal.
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("error")
            check_env(env.unwrapped)
    finally:
        env.close()


def check_passive_make(env_id: str, steps: int = 20, **make_kwargs: Any) -> None:
    """``gymnasium.make`` with its passive checker on: reset, steps and render raise nothing."""
    env = _make(env_id, render_mode="ansi", **make_kwargs)
    try:
        assert env.spec is not None and env.spec.disable_env_checker is False
        try:  # with or without Gymnasium's OrderEnforcing wrapper, order is enforced
            env.step("\\boxed{1}")
        except gym.error.ResetNeeded:
            pass
        else:
            raise AssertionError("step() before reset() must raise ResetNeeded")
        rollout(env, seed=0, steps=steps)
        assert isinstance(env.render(), str), "render() in 'ansi' mode must return a str"
    finally:
        env.close()


def _frames(env: gym.Env, seed: int, actions: Iterable[str]) -> list[np.ndarray]:
    """The ``rgb_array`` frames after the reset and after each of ``actions``."""
    env.reset(seed=seed)
    frames = [env.render()]
    for action in actions:
        _, _, terminated, truncated, _ = env.step(action)
        frames.append(env.render())
        if terminated or truncated:
            env.reset()
            frames.append(env.render())
    return frames


def check_rgb_array(env_id: str, seed: int = 3, steps: int = 12, **make_kwargs: Any) -> None:
    """``render_mode="rgb_array"``: RGB ``uint8`` frames; same seed and actions, same images.

    (:func:`check_gymnasium_checker` runs ``check_env``, which renders every declared mode.)
    """
    env_a = _make(env_id, render_mode="rgb_array", **make_kwargs)
    env_b = _make(env_id, render_mode="rgb_array", **make_kwargs)
    try:
        actions = _actions_of(env_a, seed, steps)
        first, second = _frames(env_a, seed, actions), _frames(env_b, seed, actions)
        for t, (a, b) in enumerate(zip(first, second, strict=True)):
            assert isinstance(a, np.ndarray) and a.dtype == np.uint8, f"frame {t} is not uint8"
            assert a.ndim == 3 and a.shape[2] == 3 and min(a.shape[:2]) > 0, (
                f"frame {t} has shape {a.shape}, not (height, width, 3)"
            )
            assert np.array_equal(a, b), f"same seed and actions, different frame {t}"
    finally:
        env_a.close()
        env_b.close()


def _assert_same(first: list[Transition], second: list[Transition], what: str) -> None:
    assert len(first) == len(second), f"{what}: trajectories differ in length"
    for t, (a, b) in enumerate(zip(first, second, strict=True)):
        assert a[0] == b[0], f"{what}: observations differ at step {t}"
        assert a[1:4] == b[1:4], f"{what}: reward/flags differ at step {t}: {a[1:4]} vs {b[1:4]}"
        assert a[4] == b[4], f"{what}: infos differ at step {t}: {a[4]} vs {b[4]}"


def check_determinism(env_id: str, seed: int = 7, steps: int = 40, **make_kwargs: Any) -> None:
    """Same seed and same actions give identical observations, rewards and infos."""
    env_a, env_b = _make(env_id, **make_kwargs), _make(env_id, **make_kwargs)
    try:
        first = rollout(env_a, seed, steps)
        actions = _actions_of(env_b, seed, steps)
        _assert_same(first, rollout(env_b, seed, steps, actions), "same seed, same actions")
    finally:
        env_a.close()
        env_b.close()


def _actions_of(env: gym.Env, seed: int, steps: int) -> list[str]:
    """The actions :func:`rollout` would draw for ``env`` from ``seed``."""
    env.reset(seed=seed)
    env.action_space.seed(seed)
    actions = []
    for _ in range(steps):
        action = random_action(env)
        actions.append(action)
        _, _, terminated, truncated, _ = env.step(action)
        if terminated or truncated:
            env.reset()
    return actions


def trajectory_digest(env_id: str, seed: int = 7, steps: int = 40, **make_kwargs: Any) -> str:
    """A hash of a seeded rollout, to compare determinism across processes."""
    import hashlib

    env = _make(env_id, **make_kwargs)
    try:
        text = repr(
            [(o, r, te, tr, sorted(i.items())) for o, r, te, tr, i in rollout(env, seed, steps)]
        )
    finally:
        env.close()
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def check_fuzz(
    env_id: str, actions: Iterable[str] | None = None, seed: int = 0, **make_kwargs: Any
) -> None:
    """Hostile actions never raise; rewards stay finite; observations stay in the space."""
    env = _make(env_id, **make_kwargs)
    if actions is None:
        actions = hostile_actions(np.random.default_rng(seed), 200)
    is_text_env = isinstance(env.unwrapped, TextEnv)
    try:
        obs, info = env.reset(seed=seed)
        assert env.observation_space.contains(obs), "reset observation outside the space"
        for action in actions:
            obs, reward, terminated, truncated, info = env.step(action)
            assert env.observation_space.contains(obs), (
                f"observation outside the space after {action[:40]!r}"
            )
            assert math.isfinite(reward), f"non-finite reward {reward} after {action[:40]!r}"
            assert type(terminated) is bool and type(truncated) is bool, (
                "flags must be Python bools"
            )
            if is_text_env:
                missing = [k for k in REQUIRED_INFO_KEYS if k not in info]
                assert not missing, f"info lacks {missing}"
                if terminated:
                    missing = [k for k in FINAL_INFO_KEYS if k not in info]
                    assert not missing, f"final info lacks {missing}"
            if terminated or truncated:
                obs, info = env.reset()
    finally:
        env.close()


def check_answer_formats(env_id: str, steps: int = 12, seed: int = 0, **make_kwargs: Any) -> None:
    """Every answer format: the rules name it, the env's own random moves in it are never format
    errors, an answer in another format is one, the same seed gives the same episode, and
    hostile actions (tool calls included) raise nothing and get a clear format error."""
    for variant in ANSWER_FORMAT_VARIANTS:
        fmt = AnswerFormat.of(variant)
        env = _make(env_id, answer_format=variant, end_on_format_error=False, **make_kwargs)
        twin = _make(env_id, answer_format=variant, end_on_format_error=False, **make_kwargs)
        try:
            core = env.unwrapped
            assert core.answer_format == fmt.spec, f"{variant}: answer_format not in force"
            observation, _ = env.reset(seed=seed)
            assert _names_format(observation, fmt, core), (
                f"{variant}: the rules do not say how to answer: {observation[-300:]!r}"
            )
            trajectory = rollout(env, seed, steps)
            errors = [t for t in trajectory[1:] if t[4].get("format_error")]
            assert not errors, f"{variant}: a random well-formed move was a format error"
            _assert_same(
                trajectory, rollout(twin, seed, steps, _actions_of(twin, seed, steps)), variant
            )
            env.reset(seed=seed)
            other = _other_format(core, fmt)
            _, _, _, _, info = env.step(other)
            assert info["format_error"], f"{variant}: {other[:60]!r} was read as a move"
            hostile: Iterable[Any] = FIXED_HOSTILE_ACTIONS
            if fmt.kind == "tool_call":
                hostile = [*hostile, *hostile_tool_calls(env, np.random.default_rng(seed), 30)]
            _survive(env, hostile, seed, variant, explain=fmt.kind != core.default_answer_format)
        finally:
            env.close()
            twin.close()


def _names_format(observation: str, fmt: AnswerFormat, core: Any) -> bool:
    if fmt.kind == "tool_call":
        return all(tool.name in observation for tool in core.move_tools)
    marker = {"boxed": "\\boxed{", "answer_tags": "<answer>", "code_block": "```"}.get(fmt.kind)
    return (marker or fmt.opening) in observation


def _other_format(core: Any, fmt: AnswerFormat) -> str:
    """A well-formed move written in a format other than ``fmt``."""
    move = core.sample_random_action()
    if fmt.kind == "tool_call":
        content = "1"
    else:
        content = fmt.extract(move) if not isinstance(move, dict) else "1"
    other = "answer_tags" if fmt.kind in ("boxed", "tool_call") else "boxed"
    return AnswerFormat.of(other).render(content or "1")


def _survive(env: gym.Env, actions: Iterable[Any], seed: int, what: str, explain: bool) -> None:
    """Step through ``actions``: no exception, finite rewards, format errors explained (checked
    for the formats other than the family's default, whose texts predate this check)."""
    env.reset(seed=seed)
    for action in actions:
        obs, reward, terminated, truncated, info = env.step(action)
        shown = action[:60] if isinstance(action, str) else f"a {type(action).__name__}"
        assert env.observation_space.contains(obs), f"{what}: observation outside the space"
        assert math.isfinite(reward), f"{what}: non-finite reward after {shown}"
        if explain and info.get("format_error"):
            assert "format error" in obs.lower(), f"{what}: unexplained format error: {obs[:200]!r}"
        if terminated or truncated:
            env.reset()


def check_type_error(env_id: str, **make_kwargs: Any) -> None:
    """Non-``str`` actions raise ``TypeError`` naming the env and the type."""
    env = _make(env_id, **make_kwargs)
    try:
        env.reset(seed=0)
        for bad in (None, 3, b"\\boxed{3}", ["\\boxed{3}"], np.array([1])):
            try:
                env.unwrapped.step(bad)
            except TypeError as error:
                assert type(bad).__name__ in str(error), f"TypeError must name the type: {error}"
            else:
                raise AssertionError(f"step({bad!r}) did not raise TypeError")
        # The env is still usable after the rejected actions.
        env.step(random_action(env))
    finally:
        env.close()


def check_pickle(env_id: str, steps: int = 5, **make_kwargs: Any) -> None:
    """The env pickles mid-episode (subprocess vector envs need it) and continues identically."""
    env = _make(env_id, **make_kwargs)
    try:
        env.reset(seed=3)
        env.action_space.seed(3)
        for _ in range(2):
            _, _, terminated, truncated, _ = env.step(random_action(env))
            if terminated or truncated:
                env.reset(seed=4)
        clone = pickle.loads(pickle.dumps(env))
        actions = [random_action(env) for _ in range(steps)]
        for action in actions:
            a, b = env.step(action), clone.step(action)
            assert a[0] == b[0] and a[1:4] == b[1:4], "unpickled env diverged"
            if a[2] or a[3]:
                break
        clone.close()
    finally:
        env.close()


def check_snapshot(env_id: str, steps: int = 10, **make_kwargs: Any) -> None:
    """``get_state``/``set_state`` branch identical continuations from one state."""
    env = _make(env_id, **make_kwargs)
    base = env.unwrapped
    if not hasattr(base, "get_state"):
        env.close()
        return
    try:
        env.reset(seed=5)
        env.action_space.seed(5)
        env.step(random_action(env))
        if base.done:
            env.reset(seed=6)
        state = base.get_state()
        actions = [random_action(env) for _ in range(steps)]

        def branch() -> list[Any]:
            base.set_state(state)
            out = []
            for action in actions:
                result = env.step(action)
                out.append(result)
                if result[2] or result[3]:
                    break
            return out

        assert branch() == branch(), "set_state did not restore the episode"
    finally:
        env.close()


def check_vector(
    env_id: str, mode: str = "sync", num_envs: int = 2, steps: int = 4, **make_kwargs: Any
) -> None:
    """``gymnasium.make_vec`` with default arguments returns the sub-envs' true strings."""
    vec = gym.make_vec(
        resolve_id(env_id), num_envs=num_envs, vectorization_mode=mode, **make_kwargs
    )
    reference = [_make(env_id, **make_kwargs) for _ in range(num_envs)]
    try:
        observations, _ = vec.reset(seed=11)
        expected = [env.reset(seed=11 + i)[0] for i, env in enumerate(reference)]
        assert tuple(observations) == tuple(expected), f"{mode} reset observations are wrong"
        for _ in range(steps):
            actions = tuple(random_action(env) for env in reference)
            observations, rewards, *_ = vec.step(actions)
            results = [env.step(a) for env, a in zip(reference, actions, strict=True)]
            for i, result in enumerate(results):
                if result[2] or result[3]:
                    reference[i].reset()  # gymnasium's default autoreset (NextStep)
            assert tuple(observations) == tuple(r[0] for r in results), (
                f"{mode} step observations are wrong"
            )
            assert np.allclose(rewards, [r[1] for r in results]), f"{mode} rewards are wrong"
            if any(r[2] or r[3] for r in results):
                break  # NextStep autoreset then needs one extra step; keep the check simple
    finally:
        vec.close()
        for env in reference:
            env.close()


# --- running them together --------------------------------------------------------------------


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one check on one id."""

    env_id: str
    check: str
    passed: bool
    seconds: float
    error: str = ""


CHECKS: dict[str, Callable[..., None]] = {
    "gymnasium_checker": check_gymnasium_checker,
    "passive_make": check_passive_make,
    "determinism": check_determinism,
    "fuzz": check_fuzz,
    "answer_formats": check_answer_formats,
    "type_error": check_type_error,
    "rgb_array": check_rgb_array,
    "pickle": check_pickle,
    "snapshot": check_snapshot,
    "vector_sync": lambda env_id, **kwargs: check_vector(env_id, "sync", **kwargs),
    "vector_async": lambda env_id, **kwargs: check_vector(env_id, "async", **kwargs),
}


def run_checks(env_id: str, checks: Iterable[str] | None = None) -> list[CheckResult]:
    """Run the named checks (all by default) on one id, catching each failure."""
    results = []
    for name in checks or CHECKS:
        start = time.perf_counter()
        try:
            CHECKS[name](env_id)
        except Exception as error:  # a failing check is a result, not a crash of the runner
            detail = "".join(traceback.format_exception_only(type(error), error)).strip()
            results.append(CheckResult(env_id, name, False, time.perf_counter() - start, detail))
        else:
            results.append(CheckResult(env_id, name, True, time.perf_counter() - start))
    return results
