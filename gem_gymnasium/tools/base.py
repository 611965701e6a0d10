"""The interface every tool implements, and the small records it passes around.

A tool finds its first complete call in an action (``find_call``), runs it (``execute``) and
describes itself for the prompt (``instructions``). The
:class:`~gem_gymnasium.wrappers.tool_use.UseTools` wrapper picks, among its tools, the call that
*ends* first in the action and runs only that one.
"""

from __future__ import annotations

import abc
import re
from dataclasses import dataclass
from typing import Any

__all__ = ["Tool", "ToolCall", "ToolResult", "first_fenced_python", "first_tagged"]


@dataclass(frozen=True)
class ToolCall:
    """One call found in an action.

    Attributes:
        tool: The tool's name.
        payload: What the tool needs to run it (code, a query, a tool name and arguments).
        end: Index in the action just past the call; the action up to here is what counts.
    """

    tool: str
    payload: Any
    end: int


@dataclass(frozen=True)
class ToolResult:
    """What running a call gave: the observation text and whether it worked."""

    observation: str
    ok: bool


def first_tagged(text: str, tag: str) -> tuple[str, int] | None:
    """Content and end index of the first complete ``<tag>...</tag>`` in ``text``, or ``None``.

    Linear time: one ``find`` for the opening tag and one for the closing tag after it.
    """
    start = text.find(f"<{tag}>")
    if start < 0:
        return None
    body = start + len(tag) + 2
    close = text.find(f"</{tag}>", body)
    if close < 0:
        return None
    return text[body:close], close + len(tag) + 3


_FENCE_OPEN = re.compile(r"```[ \t]*(?:python3|python|py)[ \t]*\n")


def first_fenced_python(text: str) -> tuple[str, int] | None:
    """Body and end index of the first complete ```` ```python ```` block in ``text``.

    The first opening fence with a closing fence after it: no later block can end sooner.
    """
    opening = _FENCE_OPEN.search(text)
    if opening is None:
        return None
    close = text.find("```", opening.end())
    if close < 0:
        return None
    return text[opening.end() : close], close + 3


class Tool(abc.ABC):
    """A tool the agent calls by writing a call in its action text."""

    #: Short name used in ``info["tool"]`` and in episode statistics.
    name: str = "tool"

    @abc.abstractmethod
    def instructions(self) -> str:
        """How to call the tool; appended to the reset observation."""

    @abc.abstractmethod
    def find_call(self, action: str) -> ToolCall | None:
        """The first complete call in ``action``, or ``None``. Must not raise on any ``str``."""

    @abc.abstractmethod
    def execute(self, call: ToolCall) -> ToolResult:
        """Run ``call``; failures come back as an observation with ``ok=False``, never raised."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release processes or connections the tool holds. Idempotent."""
