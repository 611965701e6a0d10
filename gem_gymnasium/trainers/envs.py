"""Environments as the trainer sees them: wrapped sub-envs in a SameStep vector env, and prompts."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import gymnasium as gym
from gymnasium.vector import AutoresetMode, SyncVectorEnv

from gem_gymnasium.registration import make, resolve_id
from gem_gymnasium.trainers.prompts import get_template

__all__ = ["make_env", "make_prompt_fn", "make_vector_env"]


def make_env(env_id: str, wrappers: str = "", tokenizer: Any = None) -> gym.Env:
    """One env (GEM ids accepted) with the wrapper stack ``wrappers`` applied."""
    env = make(resolve_id(env_id))
    if wrappers:
        from gem_gymnasium.wrappers import WRAPPERS, apply_wrappers, parse_spec

        # Only the wrappers that render chat take a tokenizer; others reject stray options.
        takes = any("tokenizer" in WRAPPERS[name].options for name in parse_spec(wrappers))
        env = apply_wrappers(env, wrappers, **({"tokenizer": tokenizer} if takes else {}))
    return env


def make_vector_env(
    env_id: str, num_envs: int, wrappers: str = "", tokenizer: Any = None
) -> SyncVectorEnv:
    """``num_envs`` copies in one process with SameStep autoreset: when an episode ends, the
    step returns the next episode's first observation (the last one is in ``final_obs``)."""
    thunk = partial(make_env, env_id, wrappers, tokenizer)
    return SyncVectorEnv([thunk] * num_envs, autoreset_mode=AutoresetMode.SAME_STEP)


def make_prompt_fn(
    template: str, tokenizer: Any = None, apply_chat_template: bool = False
) -> Callable[[str], str]:
    """Observation text -> prompt text: the template, then optionally the chat template."""
    apply = get_template(template)
    if not apply_chat_template:
        return apply

    def prompt(observation: str) -> str:
        return tokenizer.apply_chat_template(
            [{"role": "user", "content": apply(observation)}],
            tokenize=False,
            add_generation_prompt=True,
        )

    return prompt
