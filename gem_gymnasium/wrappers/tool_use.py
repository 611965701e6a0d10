"""``UseTools``: let the agent call tools (Python, search, MCP) inside any text environment."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, SupportsFloat

import gymnasium as gym
from gymnasium.error import ResetNeeded

from gem_gymnasium.tools.base import Tool, ToolCall

__all__ = ["UseTools"]

CAP_MESSAGE = "\n\nReached the maximum number of tool uses. Please give your final answer directly."


class UseTools(gym.Wrapper[str, str, str, str], gym.utils.RecordConstructorArgs):
    """Run the first complete tool call in an action; otherwise pass the action to the env.

    A *tool turn* runs the call that ends first in the action (across all tools), returns the
    tool's output as the next observation, and does not step the wrapped env, so tool turns do not
    use game turns. It pays ``tool_reward``, plus ``tool_success_reward`` when the call worked,
    and never ends the episode. After ``max_tool_uses`` tool turns in an episode, actions go to
    the env unchanged (tool calls in them are no longer run).

    The tools' instructions are appended to the reset observation.

    Information (added on every step):
        * ``use_tool``: whether this step was a tool turn (the observation then has the
          ``tool`` role in a chat history);
        * ``tool_use_counter`` / ``tool_success_counter``: tool turns so far this episode;
        * on tool turns only: ``tool`` (its name), ``tool_ok`` and ``parsed_action`` (the action up to
          the end of the call: what a history keeps as the agent's message).

    Args:
        env: Any text environment.
        tools: The tools, checked in order for the earliest-ending call.
        tool_reward: Reward of a tool turn (default 0: a call is worth nothing by itself).
        tool_success_reward: Extra reward when the call worked (default 0).
        max_tool_uses: Tool turns per episode; ``None`` for no cap.

    Example:
        >>> import gem_gymnasium
        >>> from gem_gymnasium.tools.python import PythonTool
        >>> env = UseTools(gem_gymnasium.make("gem/GuessTheNumber-v0"), [PythonTool()])  # doctest: +SKIP
    """

    def __init__(
        self,
        env: gym.Env[str, str],
        tools: Sequence[Tool],
        *,
        tool_reward: float = 0.0,
        tool_success_reward: float = 0.0,
        max_tool_uses: int | None = 5,
    ) -> None:
        if not tools or not all(isinstance(tool, Tool) for tool in tools):
            raise TypeError(f"tools must be a non-empty sequence of Tool, got {tools!r}")
        if max_tool_uses is not None and (not isinstance(max_tool_uses, int) or max_tool_uses < 0):
            raise ValueError(f"max_tool_uses must be an int >= 0 or None, got {max_tool_uses!r}")
        gym.utils.RecordConstructorArgs.__init__(
            self,
            tools=tools,
            tool_reward=tool_reward,
            tool_success_reward=tool_success_reward,
            max_tool_uses=max_tool_uses,
        )
        gym.Wrapper.__init__(self, env)
        self.tools = list(tools)
        self.tool_reward = float(tool_reward)
        self.tool_success_reward = float(tool_success_reward)
        self.max_tool_uses = max_tool_uses
        self.tool_use_counter = 0
        self.tool_success_counter = 0
        self._needs_reset = True

    def instructions(self) -> str:
        """The text appended to the reset observation."""
        parts = [tool.instructions() for tool in self.tools]
        if len(parts) > 1:
            return "Available tools:\n" + "\n\n".join(parts)
        return parts[0]

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[str, dict[str, Any]]:
        observation, info = self.env.reset(seed=seed, options=options)
        self.tool_use_counter = self.tool_success_counter = 0
        self._needs_reset = False
        info.update(use_tool=False, tool_use_counter=0, tool_success_counter=0)
        return f"{observation}\n\n{self.instructions()}", info

    def find_call(self, action: str) -> tuple[Tool, ToolCall] | None:
        """The tool call that ends first in ``action``, with its tool."""
        best: tuple[Tool, ToolCall] | None = None
        for tool in self.tools:
            call = tool.find_call(action)
            if call is not None and (best is None or call.end < best[1].end):
                best = (tool, call)
        return best

    def step(self, action: str) -> tuple[str, SupportsFloat, bool, bool, dict[str, Any]]:
        if not isinstance(action, str):
            raise TypeError(f"UseTools takes str actions, got {type(action).__name__}")
        if self._needs_reset:
            raise ResetNeeded("UseTools: call reset() before step()")
        found = None
        if self.max_tool_uses is None or self.tool_use_counter < self.max_tool_uses:
            found = self.find_call(action)
        if found is None:
            observation, reward, terminated, truncated, info = self.env.step(action)
            self._needs_reset = bool(terminated or truncated)
            info.update(
                use_tool=False,
                tool_use_counter=self.tool_use_counter,
                tool_success_counter=self.tool_success_counter,
            )
            return observation, reward, terminated, truncated, info

        tool, call = found
        result = tool.execute(call)
        self.tool_use_counter += 1
        reward = self.tool_reward
        if result.ok:
            self.tool_success_counter += 1
            reward += self.tool_success_reward
        observation = result.observation
        if self.max_tool_uses is not None and self.tool_use_counter >= self.max_tool_uses:
            observation += CAP_MESSAGE
        info = {
            "use_tool": True,
            "tool": tool.name,
            "tool_ok": result.ok,
            "parsed_action": action[: call.end],
            "tool_use_counter": self.tool_use_counter,
            "tool_success_counter": self.tool_success_counter,
        }
        return observation, reward, False, False, info

    def close(self) -> None:
        for tool in self.tools:
            tool.close()
        super().close()
