"""Policies for the multi-agent games, and helpers that play whole episodes.

A policy is any callable ``policy(observation: str, info: dict) -> str``: an LLM client, a person
at a keyboard, or the built-ins here. ``info["legal_moves"]`` lists the legal actions of the
agent to move, so simple policies need not parse the observation.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from gem_gymnasium.extras import optional_imports

__all__ = ["EpisodeResult", "Policy", "RandomPolicy", "as_aec", "play_episode", "self_play"]

Policy = Callable[[str, dict[str, Any]], str]


class RandomPolicy:
    """Picks uniformly among ``info["legal_moves"]`` with its own seeded generator."""

    def __init__(self, seed: int | None = None) -> None:
        self.rng = np.random.default_rng(seed)

    def __call__(self, observation: str, info: dict[str, Any]) -> str:
        moves = info.get("legal_moves") or []
        if not moves:
            return "\\boxed{pass}"
        return moves[int(self.rng.integers(len(moves)))]


@dataclass
class EpisodeResult:
    """What :func:`play_episode` returns."""

    returns: dict[str, float]
    """Sum of each agent's rewards."""
    steps: int
    """Actions taken by all agents together."""
    final_infos: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Each agent's last ``info`` (with ``success`` and ``reason``)."""
    transcript: list[tuple[str, str]] = field(default_factory=list)
    """``(agent, action)`` in playing order."""


def as_aec(env: Any) -> Any:
    """An AEC view of a game: AEC envs pass through, parallel envs are converted."""
    with optional_imports("multi-agent games"):
        from pettingzoo import ParallelEnv
        from pettingzoo.utils.conversions import parallel_to_aec

    return parallel_to_aec(env) if isinstance(env, ParallelEnv) else env


def play_episode(
    env: Any,
    policies: Mapping[str, Policy],
    *,
    seed: int | None = None,
    max_steps: int = 100_000,
) -> EpisodeResult:
    """Play one episode of a PettingZoo env (AEC or parallel) with one policy per agent."""
    env = as_aec(env)
    env.reset(seed=seed)
    returns = dict.fromkeys(env.possible_agents, 0.0)
    final_infos: dict[str, dict[str, Any]] = {}
    transcript: list[tuple[str, str]] = []
    steps = 0
    for agent in env.agent_iter(max_steps):
        observation, reward, terminated, truncated, info = env.last()
        returns[agent] += float(reward)
        if terminated or truncated:
            final_infos[agent] = info
            env.step(None)
            continue
        action = policies[agent](observation, info)
        transcript.append((agent, action))
        env.step(action)
        steps += 1
    return EpisodeResult(returns, steps, final_infos, transcript)


def self_play(
    env: Any, policy: Policy, *, seed: int | None = None, max_steps: int = 100_000
) -> EpisodeResult:
    """One policy plays every seat (each call sees only that seat's observation)."""
    agents = as_aec(env).possible_agents
    return play_episode(env, dict.fromkeys(agents, policy), seed=seed, max_steps=max_steps)
