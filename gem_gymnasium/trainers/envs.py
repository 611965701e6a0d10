"""Environments as the trainer sees them: wrapped copies of one id, and prompts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import gymnasium as gym

from gem_gymnasium.registration import make, resolve_id
from gem_gymnasium.trainers.prompts import get_template

__all__ = ["make_env", "make_envs", "make_prompt_fn"]


def make_env(env_id: str, wrappers: str = "", tokenizer: Any = None) -> gym.Env:
    """One env (GEM ids accepted) with the wrapper stack ``wrappers`` applied."""
    env = make(resolve_id(env_id))
    if wrappers:
        from gem_gymnasium.wrappers import WRAPPERS, apply_wrappers, parse_spec

        # Only the wrappers that render chat take a tokenizer (and keep token-exact histories,
        # so a turn's prompt ids extend the last turn's sampled ids); others reject them.
        takes = any("tokenizer" in WRAPPERS[name].options for name in parse_spec(wrappers))
        options = {"tokenizer": tokenizer, "token_ids": tokenizer is not None} if takes else {}
        env = apply_wrappers(env, wrappers, **options)
    return env


def make_envs(
    env_id: str, num_envs: int, wrappers: str = "", tokenizer: Any = None
) -> list[gym.Env]:
    """``num_envs`` wrapped copies, stepped one by one by the rollout (which resets each when
    it starts an episode there, with that episode's seed)."""
    return [make_env(env_id, wrappers, tokenizer) for _ in range(num_envs)]


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
