"""Sub-env wrappers that let Gymnasium's own vector envs do what the project's vector envs do.

:class:`SkipNoneAction` gives :class:`~gymnasium.vector.AsyncVectorEnv` the partial steps of
:class:`~gem_gymnasium.vector.sync.TextSyncVectorEnv` (an action of ``None`` leaves the sub-env
alone), with the same results.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
from gymnasium.error import ResetNeeded

__all__ = ["SkipNoneAction"]


class SkipNoneAction(gym.Wrapper):
    """An action of ``None`` is a no-op: the last observation, reward 0, no flags, empty info.

    Any other action is passed through; inside a vector env this lets a caller stop stepping
    sub-envs whose episodes have finished (evaluation) while stepping the others.
    """

    def __init__(self, env: gym.Env) -> None:
        super().__init__(env)
        self._last_obs: Any = None
        self._has_obs = False

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[Any, dict[str, Any]]:
        obs, info = self.env.reset(seed=seed, options=options)
        self._last_obs, self._has_obs = obs, True
        return obs, info

    def step(self, action: Any) -> tuple[Any, float, bool, bool, dict[str, Any]]:
        if action is None:
            if not self._has_obs:
                raise ResetNeeded("SkipNoneAction: call reset() before step(None)")
            return self._last_obs, 0.0, False, False, {}
        obs, reward, terminated, truncated, info = self.env.step(action)
        self._last_obs = obs
        return obs, reward, terminated, truncated, info
