"""``make_vec``: one vector env over one id or a mix of ids, in sync, thread or async mode.

A batch for LLM RL often mixes tasks (a game, a puzzle, a math problem). Every sub-env here is
made with :func:`gymnasium.make` from its own id, keyword arguments and wrappers, and seeded with
``seed + i``. Text envs of different ``max_length`` get one common
:class:`~gem_gymnasium.spaces.TextSpace` (the largest bound), so the result is an ordinary
:class:`gymnasium.vector.VectorEnv` whose sub-envs share their spaces, as Gymnasium requires.
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import gymnasium as gym
from gymnasium.envs.registration import load_env_creator
from gymnasium.spaces import Space
from gymnasium.vector import AutoresetMode, VectorEnv

from gem_gymnasium.core import TextEnv
from gem_gymnasium.registration import resolve_id
from gem_gymnasium.spaces import TextSpace
from gem_gymnasium.vector.adapters import SkipNoneAction
from gem_gymnasium.vector.processes import ProcessVectorEnv
from gem_gymnasium.vector.sync import TextSyncVectorEnv
from gem_gymnasium.vector.thread import ThreadVectorEnv

__all__ = ["VECTORIZATION_MODES", "make_vec"]

#: ``vectorization_mode`` values: our sync loop, our threads, Gymnasium's processes.
VECTORIZATION_MODES = ("sync", "thread", "async")

#: A wrapper stack: a spec for :func:`gem_gymnasium.wrappers.apply_wrappers` (``"concat,..."``)
#: or wrapper callables applied in order.
WrapperStack = str | Sequence[Callable[[gym.Env], gym.Env]] | None


@dataclass(frozen=True)
class SubEnvSpec:
    """How to build one sub-env (picklable, so Gymnasium's async workers can rebuild it)."""

    env_id: str
    kwargs: Mapping[str, Any] = field(default_factory=dict)
    wrappers: WrapperStack = None
    seed: int | None = None
    observation_space: Space | None = None  # the common space, when it differs from the env's
    action_space: Space | None = None
    skip_none: bool = False
    wrapper_kwargs: Mapping[str, Any] = field(default_factory=dict)  # apply_wrappers options

    def __call__(self) -> gym.Env:
        """Make, wrap and seed the sub-env."""
        # The passive checker only re-checks what the conformance suite checks once per id, and
        # would add a wrapper layer to every step of every sub-env; so would OrderEnforcing,
        # which a TextEnv does not need (it raises ResetNeeded itself).
        spec = gym.spec(self.env_id)
        if spec.order_enforce and _enforces_order(spec.entry_point):
            spec = dataclasses.replace(spec, order_enforce=False)
        env = gym.make(spec, disable_env_checker=True, **self.kwargs)
        env = _apply_wrappers(env, self.wrappers, self.wrapper_kwargs)
        if self.seed is not None:
            env.reset(seed=self.seed)
            env.action_space.seed(self.seed)
        if self.observation_space is not None and env.observation_space != self.observation_space:
            env.observation_space = self.observation_space
        if self.action_space is not None and env.action_space != self.action_space:
            env.action_space = self.action_space
        return SkipNoneAction(env) if self.skip_none else env

    def group(self) -> str:
        """Sub-envs of one group are built alike and so have the same spaces."""
        return repr((self.env_id, sorted(self.kwargs.items()), self.wrappers))


def make_vec(
    ids: str | Sequence[str],
    num_envs: int | None = None,
    *,
    vectorization_mode: str = "sync",
    seed: int | None = None,
    env_kwargs: Mapping[str, Any] | Sequence[Mapping[str, Any] | None] | None = None,
    wrappers: WrapperStack | Sequence[WrapperStack] = None,
    wrapper_kwargs: Mapping[str, Any] | None = None,
    autoreset_mode: str | AutoresetMode = AutoresetMode.SAME_STEP,
    **vector_kwargs: Any,
) -> VectorEnv:
    r"""A vector env over one id (``num_envs`` copies) or a list of ids (one sub-env each).

    Example:
        >>> import gem_gymnasium
        >>> envs = gem_gymnasium.make_vec(
        ...     ["gem/GuessTheNumber-v0", "game:GuessTheNumber-v0-hard"], seed=0)
        >>> obs, infos = envs.reset()
        >>> envs.env_ids
        ('gem/GuessTheNumber-v0', 'gem/GuessTheNumber-Hard-v0')
        >>> obs, rewards, terminated, truncated, infos = envs.step(["\\boxed{10}", "\\boxed{25}"])
        >>> envs.close()

    Args:
        ids: A registered id, GEM id or bare name; or one per sub-env. A list shorter than
            ``num_envs`` is repeated (``num_envs`` must then be a multiple of its length).
        num_envs: Number of sub-envs (default: 1 for one id, ``len(ids)`` for a list).
        vectorization_mode: ``"sync"`` (:class:`~gem_gymnasium.vector.TextSyncVectorEnv`, a loop
            in this thread: fastest for CPU-light text games), ``"thread"``
            (:class:`~gem_gymnasium.vector.ThreadVectorEnv`, for steps that wait on I/O: tools,
            sandboxes, HTTP, MCP) or ``"async"``
            (:class:`~gem_gymnasium.vector.ProcessVectorEnv`, Gymnasium's process-based
            ``AsyncVectorEnv`` with errors that name the sub-env; for CPU-heavy steps).
        seed: Sub-env ``i`` is reset once with ``seed + i`` when made (its action space seeded
            alike), so the first ``reset()`` without a seed is already reproducible.
        env_kwargs: Keyword arguments for every sub-env, or a list with one dict per sub-env.
        wrappers: A wrapper stack for every sub-env, or a list with one stack per sub-env; a stack
            is a spec string for :func:`gem_gymnasium.wrappers.apply_wrappers` or a list of
            callables ``env -> env`` applied in order.
        wrapper_kwargs: Options for the wrappers named in spec strings, as
            ``apply_wrappers(env, spec, **wrapper_kwargs)`` takes them, e.g.
            ``wrappers="concat_chat", wrapper_kwargs={"tokenizer": tok}``.
        autoreset_mode: Gymnasium's autoreset mode. Defaults to SameStep, the right one for LLM
            rollouts: the action after an episode's last step is a real first move of the next
            episode (NextStep would discard a whole generation per episode), and the finished
            episode's last observation/info come as ``info["final_obs"]``/``info["final_info"]``.
        **vector_kwargs: Passed to the vector env class, e.g. ``timeout=`` (thread mode) or
            ``context=``/``shared_memory=`` (async mode). A wrapper option given here (such as
            ``tokenizer=``) is a ``TypeError`` that points to ``wrapper_kwargs``.

    Returns:
        A :class:`gymnasium.vector.VectorEnv`. In every mode an action of ``None`` leaves its
        sub-env unstepped (its observation stays; reward 0; no flags; no info).
    """
    if vectorization_mode not in VECTORIZATION_MODES:
        raise ValueError(
            f"vectorization_mode must be one of {VECTORIZATION_MODES}, got {vectorization_mode!r}"
        )
    vector_class = {
        "sync": TextSyncVectorEnv,
        "thread": ThreadVectorEnv,
        "async": ProcessVectorEnv,
    }[vectorization_mode]
    _check_vector_kwargs(vector_class, vector_kwargs)
    env_ids = _expand_ids(ids, num_envs)
    n = len(env_ids)
    kwargs_list = _per_env(env_kwargs, n, "env_kwargs", is_shared=lambda x: isinstance(x, Mapping))
    wrapper_list = _per_env(wrappers, n, "wrappers", is_shared=_is_wrapper_stack)
    if wrapper_kwargs and not all(isinstance(stack, str) for stack in wrapper_list):
        raise ValueError(
            "wrapper_kwargs are options for named wrappers (a spec string such as "
            "'concat_chat'); bind them into wrapper callables with functools.partial instead"
        )
    specs = [
        SubEnvSpec(
            env_id=env_ids[i],
            kwargs=dict(kwargs_list[i] or {}),
            wrappers=None if wrapper_list[i] is None else _freeze(wrapper_list[i]),
            seed=None if seed is None else seed + i,
            skip_none=vectorization_mode == "async",
            wrapper_kwargs=dict(wrapper_kwargs or {}),
        )
        for i in range(n)
    ]
    specs = _with_common_spaces(specs)
    return vector_class(
        specs, autoreset_mode=AutoresetMode(autoreset_mode), env_ids=env_ids, **vector_kwargs
    )


def _enforces_order(entry_point: Any) -> bool:
    """Whether the env class checks the reset/step order itself (every TextEnv does)."""
    creator = load_env_creator(entry_point) if isinstance(entry_point, str) else entry_point
    return isinstance(creator, type) and issubclass(creator, TextEnv)


def _expand_ids(ids: str | Sequence[str], num_envs: int | None) -> list[str]:
    if isinstance(ids, str):
        ids = [ids] * (1 if num_envs is None else num_envs)
    ids = [resolve_id(env_id) for env_id in ids]
    if not ids:
        raise ValueError("make_vec needs at least one id")
    if num_envs is None or num_envs == len(ids):
        return ids
    if num_envs < 1 or num_envs % len(ids):
        raise ValueError(
            f"num_envs={num_envs} must be a positive multiple of the {len(ids)} ids given"
        )
    return ids * (num_envs // len(ids))


def _is_wrapper_stack(value: Any) -> bool:
    return isinstance(value, str) or (
        isinstance(value, Sequence) and all(callable(item) for item in value)
    )


def _per_env(value: Any, n: int, name: str, is_shared: Callable[[Any], bool]) -> list[Any]:
    """``value`` for every sub-env, or its items when it is a list with one per sub-env."""
    if value is None or is_shared(value):
        return [value] * n
    if not isinstance(value, Sequence) or len(value) != n:
        raise ValueError(f"{name} must be one value for every sub-env or a list of {n} values")
    return list(value)


def _freeze(stack: WrapperStack) -> WrapperStack:
    return stack if isinstance(stack, str) or stack is None else tuple(stack)


def _check_vector_kwargs(vector_class: type, vector_kwargs: Mapping[str, Any]) -> None:
    """A wrapper option passed as a vector env argument gets pointed to ``wrapper_kwargs``."""
    if not vector_kwargs:
        return
    from gem_gymnasium.wrappers import wrapper_options  # the wrappers may pull in tokenizers

    misplaced = sorted(set(vector_kwargs) & wrapper_options() - _init_parameters(vector_class))
    if misplaced:
        given = ", ".join(f"{name!r}: ..." for name in misplaced)
        raise TypeError(
            f"make_vec: {misplaced} are wrapper options, not {vector_class.__name__} arguments; "
            f"pass wrapper_kwargs={{{given}}}"
        )


def _init_parameters(cls: type) -> set[str]:
    """Keyword arguments ``cls(...)`` takes, following ``**kwargs`` up to the base classes."""
    names: set[str] = set()
    for klass in cls.__mro__:
        init = klass.__dict__.get("__init__")
        if init is None:
            continue
        parameters = inspect.signature(init).parameters.values()
        names |= {p.name for p in parameters if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)}
        if not any(p.kind is p.VAR_KEYWORD for p in parameters):
            break
    return names


def _apply_wrappers(env: gym.Env, stack: WrapperStack, options: Mapping[str, Any]) -> gym.Env:
    if stack is None:
        return env
    if isinstance(stack, str):
        from gem_gymnasium.wrappers import apply_wrappers  # the wrappers may pull in tokenizers

        return apply_wrappers(env, stack, **options)
    for wrapper in stack:
        env = wrapper(env)
    return env


def _with_common_spaces(specs: list[SubEnvSpec]) -> list[SubEnvSpec]:
    """Give every spec the largest text spaces of the group when the groups' spaces differ."""
    firsts: dict[str, SubEnvSpec] = {}
    for spec in specs:
        firsts.setdefault(spec.group(), spec)
    if len(firsts) < 2:
        return specs
    observation_spaces, action_spaces = [], []
    for spec in firsts.values():
        probe = SubEnvSpec(
            spec.env_id, spec.kwargs, spec.wrappers, wrapper_kwargs=spec.wrapper_kwargs
        )()
        observation_spaces.append(probe.observation_space)
        action_spaces.append(probe.action_space)
        probe.close()
    common_obs = _common_text_space(observation_spaces)
    common_action = _common_text_space(action_spaces)
    return [
        dataclasses.replace(spec, observation_space=common_obs, action_space=common_action)
        for spec in specs
    ]


def _common_text_space(spaces: list[Space]) -> TextSpace | None:
    """The smallest :class:`TextSpace` holding every given one; ``None`` if not all are text."""
    if all(space == spaces[0] for space in spaces):
        return None
    if not all(isinstance(space, TextSpace) for space in spaces):
        return None  # the vector env reports the mismatch
    return TextSpace(
        max(space.max_length for space in spaces),
        min_length=min(space.min_length for space in spaces),
    )
