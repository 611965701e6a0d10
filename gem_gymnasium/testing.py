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

from gem_gymnasium.core import TextEnv
from gem_gymnasium.registration import resolve_id

__all__ = [
    "CHECKS",
    "FIXED_HOSTILE_ACTIONS",
    "CheckResult",
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
