"""``RecordLLMEpisodeStatistics``: Gymnasium's episode statistics plus what LLM training logs."""

from __future__ import annotations

from collections import deque
from typing import Any, SupportsFloat

import gymnasium as gym
from gymnasium.wrappers import RecordEpisodeStatistics

__all__ = ["RecordLLMEpisodeStatistics"]


class RecordLLMEpisodeStatistics(RecordEpisodeStatistics[str, str]):
    """Gymnasium's :class:`~gymnasium.wrappers.RecordEpisodeStatistics`, with LLM extras.

    At the end of an episode ``info["episode"]`` holds Gymnasium's ``r`` (return), ``l``
    (length, tool turns included) and ``t`` (elapsed seconds), plus:

    * ``success``: the env's ``info["success"]`` on the last step (``False`` if absent);
    * ``tool_calls`` / ``tool_successes``: tool turns and successful ones (from
      :class:`~gem_gymnasium.wrappers.tool_use.UseTools`, 0 without it);
    * ``format_errors``: steps whose ``info["format_error"]`` was true.

    Put it outermost, so it sees every step. Args are Gymnasium's.
    """

    def __init__(
        self, env: gym.Env[str, str], buffer_length: int = 100, stats_key: str = "episode"
    ) -> None:
        super().__init__(env, buffer_length=buffer_length, stats_key=stats_key)
        self.episode_format_errors = 0
        self.success_queue: deque[bool] = deque(maxlen=buffer_length)

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[str, dict[str, Any]]:
        self.episode_format_errors = 0
        return super().reset(seed=seed, options=options)

    def step(self, action: str) -> tuple[str, SupportsFloat, bool, bool, dict[str, Any]]:
        observation, reward, terminated, truncated, info = super().step(action)
        self.episode_format_errors += bool(info.get("format_error", False))
        if self._stats_key in info:
            info[self._stats_key].update(
                success=bool(info.get("success", False)),
                tool_calls=int(info.get("tool_use_counter", 0)),
                tool_successes=int(info.get("tool_success_counter", 0)),
                format_errors=self.episode_format_errors,
            )
            self.success_queue.append(info[self._stats_key]["success"])
        return observation, reward, terminated, truncated, info
