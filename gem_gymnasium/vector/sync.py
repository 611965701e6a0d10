"""``TextSyncVectorEnv``: a lean synchronous vector env for text environments.

It keeps Gymnasium's vector API and semantics (batched spaces, the three autoreset modes,
``final_obs``/``final_info`` under SameStep, ``reset_mask`` partial resets, ``call``/``get_attr``/
``set_attr``) but spends almost nothing per sub-env step: text observations are immutable
``str`` so the batch is a plain ``tuple`` with no copy, rewards and flags become arrays once per
step, and infos are batched a key at a time (:func:`~gem_gymnasium.vector.infos.batch_infos`)
rather than a sub-env and key at a time.

Two additions that LLM rollouts need:

* **Partial steps.** An action of ``None`` leaves that sub-env alone: its observation stays, its
  reward is 0, both flags are ``False`` and it reports no info. Evaluation loops pass ``None``
  for finished episodes. (A pending NextStep autoreset still happens, as for any action.)
* **Errors name the sub-env.** An exception inside a sub-env surfaces as
  :class:`~gem_gymnasium.vector.errors.SubEnvError` with its index and id; after a failed
  ``reset``/``step`` a full ``reset()`` brings the vector env back.

Sub-envs run one after another in the caller's thread; :class:`ThreadVectorEnv` runs the same
code on a thread per sub-env.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from copy import deepcopy
from itertools import compress
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium.error import ResetNeeded
from gymnasium.spaces import Space, Text
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space, concatenate, create_empty_array

from gem_gymnasium.vector.errors import SubEnvError
from gem_gymnasium.vector.infos import _batch_columns, _batch_infos, batch_infos

__all__ = ["TextSyncVectorEnv"]

_NEXT_STEP = AutoresetMode.NEXT_STEP
_SAME_STEP = AutoresetMode.SAME_STEP
_NONE_TYPE = type(None)
_STR_OR_NONE = frozenset({str, _NONE_TYPE})

# What one sub-env step returns: obs, reward, terminated, truncated, info, (final_obs, final_info).
StepResult = tuple[Any, float, bool, bool, dict[str, Any], "tuple[Any, dict[str, Any]] | None"]


def _step_env(env: gym.Env, action: Any, mode: AutoresetMode, pending: bool) -> StepResult | None:
    """Step (or autoreset) one sub-env; ``None`` when a ``None`` action skips it."""
    if pending:
        return _step_ended(env, action, mode)
    obs, reward, terminated, truncated, info = env.step(action)
    if mode is _SAME_STEP and (terminated or truncated):  # a finished episode resets at once
        final = (obs, info)
        obs, info = env.reset()
        return obs, reward, terminated, truncated, info, final
    return obs, reward, terminated, truncated, info, None


def _step_ended(env: gym.Env, action: Any, mode: AutoresetMode) -> StepResult | None:
    """A sub-env whose episode ended on the last step: NextStep resets it, Disabled refuses."""
    if mode is _NEXT_STEP:
        obs, info = env.reset()
        return obs, 0.0, False, False, info, None
    if action is None:
        return None
    raise ResetNeeded(
        "its episode has ended and autoreset is disabled: reset it with "
        "reset(options={'reset_mask': mask}) or pass None as its action"
    )


def _reset_env(env: gym.Env, seed: int | None, options: dict[str, Any] | None) -> tuple[Any, dict]:
    return env.reset(seed=seed, options=options)


def _call_env(env: gym.Env, name: str, args: tuple, kwargs: dict[str, Any]) -> Any:
    attr = env.get_wrapper_attr(name)
    return attr(*args, **kwargs) if callable(attr) else attr


def _set_env_attr(env: gym.Env, name: str, value: Any) -> None:
    env.set_wrapper_attr(name, value)


def _render_env(env: gym.Env) -> Any:
    return env.render()


def _close_env(env: gym.Env) -> None:
    env.close()


def env_name(env: gym.Env) -> str:
    """A sub-env's id for messages: its spec id, else its class name."""
    spec = getattr(env, "spec", None)
    return spec.id if spec is not None else type(env.unwrapped).__name__


class TextSyncVectorEnv(VectorEnv):
    """Runs ``num_envs`` text environments one after another in the caller's thread.

    Example:
        >>> import gem_gymnasium
        >>> envs = gem_gymnasium.make_vec("gem/GuessTheNumber-v0", 2, seed=0)
        >>> obs, infos = envs.reset()
        >>> obs, rewards, terminated, truncated, infos = envs.step(("\\\\boxed{10}", None))
        >>> rewards.tolist(), bool(infos["_turn"][1])
        ([0.0, 0.0], False)
        >>> envs.close()

    Args:
        env_fns: Functions that each create one sub-env.
        autoreset_mode: Gymnasium's :class:`~gymnasium.vector.AutoresetMode` (or its value).
            Defaults to SameStep: every action an LLM generated is a real transition, and the
            finished episode's last observation and info come as ``info["final_obs"]`` and
            ``info["final_info"]``.
        env_ids: Names of the sub-envs for error messages (default: their spec ids).

    Raises:
        ValueError: If the sub-envs' observation or action spaces differ
            (:func:`gem_gymnasium.make_vec` gives mixed text envs a common space).
    """

    def __init__(
        self,
        env_fns: Sequence[Callable[[], gym.Env]],
        *,
        autoreset_mode: str | AutoresetMode = AutoresetMode.SAME_STEP,
        env_ids: Sequence[str] | None = None,
    ) -> None:
        super().__init__()
        self.env_fns = list(env_fns)
        if not self.env_fns:
            raise ValueError(f"{type(self).__name__} needs at least one env_fn")
        if env_ids is not None and len(env_ids) != len(self.env_fns):
            raise ValueError(f"got {len(env_ids)} env_ids for {len(self.env_fns)} env_fns")
        self.num_envs = len(self.env_fns)
        self.autoreset_mode = AutoresetMode(autoreset_mode)
        self._given_ids = None if env_ids is None else tuple(env_ids)
        self.env_ids: tuple[str, ...] = self._given_ids or tuple(
            f"env_fns[{i}]" for i in range(self.num_envs)
        )
        self.envs: list[gym.Env] = self._create_envs()
        if self._given_ids is None:
            self.env_ids = tuple(env_name(env) for env in self.envs)

        first = self.envs[0]
        self.metadata = dict(first.metadata)
        self.metadata["autoreset_mode"] = self.autoreset_mode
        self.render_mode = first.render_mode
        self.single_observation_space: Space = first.observation_space
        self.single_action_space: Space = first.action_space
        for index, env in enumerate(self.envs):
            for kind in ("observation", "action"):
                space = getattr(env, f"{kind}_space")
                expected = getattr(self, f"single_{kind}_space")
                if space != expected:
                    self.close()
                    raise ValueError(
                        f"sub-env {index} ({self.env_ids[index]}) has {kind} space {space}, "
                        f"sub-env 0 has {expected}: they must be equal (gem_gymnasium.make_vec "
                        "gives text envs of different max_length a common TextSpace)"
                    )
        self.observation_space = batch_space(self.single_observation_space, self.num_envs)
        self.action_space = batch_space(self.single_action_space, self.num_envs)
        # Text batches are tuples of immutable str: no buffer, no copy.
        self._text_obs = isinstance(self.single_observation_space, Text)
        self._text_actions = isinstance(self.single_action_space, Text)
        self._obs_buffer = (
            None
            if self._text_obs
            else create_empty_array(self.single_observation_space, self.num_envs)
        )

        self._env_obs: Sequence[Any] = (None,) * self.num_envs  # step keeps its tuple
        self._autoreset = [False] * self.num_envs  # per sub-env: its episode has ended
        self._needs_reset = True  # until the first reset, and after a failed reset/step

    # --- running work on the sub-envs (ThreadVectorEnv overrides these two) -------------------

    def _create_envs(self) -> list[gym.Env]:
        envs = []
        for index, env_fn in enumerate(self.env_fns):
            try:
                envs.append(env_fn())
            except Exception as exc:
                for env in envs:
                    env.close()
                raise self._error("make", index, exc) from exc
        return envs

    def _run(
        self, operation: str, fn: Callable[..., Any], indices: Sequence[int], args: Sequence[tuple]
    ) -> list[Any]:
        """``[fn(envs[i], *a) for i, a in zip(indices, args)]``, naming the sub-env on error."""
        envs = self.envs
        results: list[Any] = []
        append = results.append
        index = -1
        try:
            for index, arguments in zip(indices, args, strict=True):
                append(fn(envs[index], *arguments))
        except Exception as exc:
            raise self._error(operation, index, exc) from exc
        return results

    def _step_all(self, indices: Sequence[int], actions: Sequence[Any]) -> list[StepResult | None]:
        """``_step_env`` for each sub-env in ``indices``, inlined: this loop is the hot path."""
        envs, autoreset, mode = self.envs, self._autoreset, self.autoreset_mode
        same_step = mode is _SAME_STEP
        pending = any(autoreset)  # never under SameStep, whose episodes reset within the step
        results: list[StepResult | None] = []
        append = results.append
        index = -1
        try:
            for index in indices:
                if pending and autoreset[index]:
                    append(_step_ended(envs[index], actions[index], mode))
                    continue
                # _step_env's live branch, inlined: a call per sub-env is a tenth of a step.
                obs, reward, terminated, truncated, info = envs[index].step(actions[index])
                if same_step and (terminated or truncated):
                    final = (obs, info)
                    obs, info = envs[index].reset()
                    append((obs, reward, terminated, truncated, info, final))
                else:
                    append((obs, reward, terminated, truncated, info, None))
        except Exception as exc:
            raise self._error("step", index, exc) from exc
        return results

    def _error(self, operation: str, index: int, exc: BaseException) -> SubEnvError:
        if operation in ("reset", "step"):
            self._needs_reset = True
        return SubEnvError(index, self.env_ids[index], operation, f"{type(exc).__name__}: {exc}")

    # --- the vector API ---------------------------------------------------------------------------

    def reset(
        self,
        *,
        seed: int | Sequence[int | None] | None = None,
        options: dict[str, Any] | None = None,
    ) -> tuple[Any, dict[str, Any]]:
        """Reset every sub-env, or those in ``options["reset_mask"]`` (a bool array).

        Args:
            seed: ``None``, an int (sub-env ``i`` gets ``seed + i``) or one seed per sub-env.
            options: Passed to every sub-env's ``reset``, less ``reset_mask``.
        """
        self._check_open()
        n = self.num_envs
        seeds = _seeds(seed, n)
        options = None if options is None else dict(options)  # never mutate the caller's dict
        mask = None if options is None else options.pop("reset_mask", None)
        if mask is None:
            indices: Sequence[int] = range(n)
        else:
            if self._needs_reset:
                raise ResetNeeded(
                    "a full reset() (without reset_mask) is needed first: "
                    "the vector env was never reset or a sub-env failed"
                )
            indices = np.flatnonzero(_check_mask(mask, n)).tolist()
        results = self._run("reset", _reset_env, indices, [(seeds[i], options) for i in indices])
        env_obs, autoreset = list(self._env_obs), self._autoreset
        entries = []
        for index, (obs, info) in zip(indices, results, strict=True):
            env_obs[index] = obs
            autoreset[index] = False
            if info:
                entries.append((index, info))
        self._env_obs = env_obs
        if mask is None:
            self._needs_reset = False
        return self._batch_obs(), batch_infos(entries, n)

    def step(self, actions: Sequence[Any]) -> tuple[Any, np.ndarray, np.ndarray, np.ndarray, dict]:
        """Step every sub-env whose action is not ``None`` (see the module docstring)."""
        self._check_open()
        if self._needs_reset:
            raise ResetNeeded(
                "call reset() before step(): the vector env was never reset or a sub-env failed"
            )
        n = self.num_envs
        if len(actions) != n:
            raise ValueError(f"expected {n} actions (None to skip a sub-env), got {len(actions)}")
        if self._text_actions:
            types = set(map(type, actions))  # one C loop for the check and for partial
            if not types <= _STR_OR_NONE:
                for index, action in enumerate(actions):
                    if not isinstance(action, str) and action is not None:
                        raise TypeError(
                            f"sub-env {index} ({self.env_ids[index]}): actions are str (or None "
                            f"to skip the sub-env), got {type(action).__name__}: {action!r:.80}"
                        )
            partial = _NONE_TYPE in types
        else:
            partial = None in actions
        autoreset = self._autoreset
        if partial:
            indices: Sequence[int] = [
                i for i, action in enumerate(actions) if action is not None or autoreset[i]
            ]
        else:
            indices = range(n)
        results = self._step_all(indices, actions)
        if self.autoreset_mode is not _SAME_STEP:  # remember which episodes ended
            for index, result in zip(indices, results, strict=True):
                if result is not None:
                    autoreset[index] = result[2] or result[3]
        if partial:  # a skipped sub-env keeps its observation and reports nothing
            stepped = results
            results = [(obs, 0.0, False, False, {}, None) for obs in self._env_obs]
            for index, result in zip(indices, stepped, strict=True):
                if result is not None:
                    results[index] = result

        # Transposing the per-env results is one C loop; the batch is built a column at a time.
        obs, rewards, terminations, truncations, infos, finals = zip(*results, strict=True)
        self._env_obs = obs
        batched = (
            _batch_infos(range(n), infos, n)
            if all(infos)
            else batch_infos([(i, info) for i, info in enumerate(infos) if info], n)
        )
        if any(finals):
            # Batched apart from the reset infos so that those keep one key set (the fast path).
            ended = list(compress(range(n), finals))
            final_obs, final_infos = zip(*compress(finals, finals), strict=True)
            batched = _insert_finals(
                batched,
                _batch_columns(ended, [("final_obs", final_obs), ("final_info", final_infos)], n),
                set().union(*infos[: ended[0]]),
            )
        return (
            obs if self._text_obs else self._batch_obs(),  # the tuple _batch_obs would build
            # fromiter stores each value as Gymnasium's `rewards[i] = reward` does, and sooner.
            np.fromiter(rewards, np.float64, n),
            np.fromiter(terminations, np.bool_, n),
            np.fromiter(truncations, np.bool_, n),
            batched,
        )

    def render(self) -> tuple[Any, ...]:
        """Each sub-env's ``render()``."""
        self._check_open()
        return tuple(self._run("render", _render_env, range(self.num_envs), [()] * self.num_envs))

    def call(self, name: str, *args: Any, **kwargs: Any) -> tuple[Any, ...]:
        """Call method ``name`` of every sub-env (or read the attribute if not callable)."""
        self._check_open()
        n = self.num_envs
        return tuple(self._run("call", _call_env, range(n), [(name, args, kwargs)] * n))

    def get_attr(self, name: str) -> tuple[Any, ...]:
        """Attribute ``name`` of every sub-env."""
        return self.call(name)

    def set_attr(self, name: str, values: Any) -> None:
        """Set attribute ``name`` of every sub-env: one value each (list/tuple) or one for all."""
        self._check_open()
        n = self.num_envs
        if not isinstance(values, (list, tuple)):
            values = [values] * n
        if len(values) != n:
            raise ValueError(f"set_attr needs {n} values (one per sub-env), got {len(values)}")
        self._run("set_attr", _set_env_attr, range(n), [(name, value) for value in values])

    @property
    def np_random_seed(self) -> tuple[int, ...]:
        """The sub-envs' ``np_random_seed``."""
        return self.get_attr("np_random_seed")

    @property
    def np_random(self) -> tuple[np.random.Generator, ...]:
        """The sub-envs' random generators."""
        return self.get_attr("np_random")

    def close_extras(self, **kwargs: Any) -> None:
        """Close every sub-env (errors are collected and the first re-raised after all)."""
        errors = []
        for index, env in enumerate(getattr(self, "envs", [])):
            try:
                _close_env(env)
            except Exception as exc:
                errors.append(self._error("close", index, exc))
        if errors:
            raise errors[0]

    def __repr__(self) -> str:
        ids = sorted(set(self.env_ids))
        shown = ids[0] if len(ids) == 1 else f"{len(ids)} ids"
        return f"{type(self).__name__}({shown}, num_envs={self.num_envs})"

    # --- helpers -----------------------------------------------------------------------------------

    def _batch_obs(self) -> Any:
        if self._text_obs:
            return tuple(self._env_obs)
        self._obs_buffer = concatenate(
            self.single_observation_space, self._env_obs, self._obs_buffer
        )
        return deepcopy(self._obs_buffer)

    def _check_open(self) -> None:
        if self.closed:
            raise gym.error.ClosedEnvironmentError(f"{type(self).__name__} is closed")


def _insert_finals(
    batched: dict[str, Any], finals: dict[str, Any], keys_before: set[str]
) -> dict[str, Any]:
    """``batched`` with the ``final_*`` entries in Gymnasium's place for them.

    Gymnasium's SyncVectorEnv adds an ended sub-env's finals just before its own info, so they
    follow exactly the keys that lower sub-envs reported first (a prefix of ``batched``, where
    each key is followed by its mask).
    """
    if len(keys_before) * 2 == len(batched):
        batched.update(finals)
        return batched
    items = list(batched.items())
    split = 2 * len(keys_before)
    return {**dict(items[:split]), **finals, **dict(items[split:])}


def _seeds(seed: int | Sequence[int | None] | None, n: int) -> Sequence[int | None]:
    if seed is None:
        return [None] * n
    if isinstance(seed, (int, np.integer)):
        return [int(seed) + i for i in range(n)]
    if len(seed) != n:
        raise ValueError(f"expected {n} seeds (one per sub-env), got {len(seed)}")
    return list(seed)


def _check_mask(mask: Any, n: int) -> np.ndarray:
    if not isinstance(mask, np.ndarray) or mask.dtype != np.bool_ or mask.shape != (n,):
        raise TypeError(f"options['reset_mask'] must be a bool numpy array of shape ({n},)")
    if not mask.any():
        raise ValueError("options['reset_mask'] must select at least one sub-env")
    return mask
