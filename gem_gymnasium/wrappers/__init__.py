"""LLM wrappers: observation history and chat templates, tool use, episode statistics.

``apply_wrappers(env, "python_tool,concat_chat", tokenizer=tok)`` builds a stack by name, left to
right (innermost first): trainers and the ``gem-gym`` CLI use it. The names are GEM's:

=============================  ====================================================================
``concat``                     :class:`ConcatenateObservations` (past observations)
``concat_with_action``         :class:`ConcatenateObservations` with the agent's actions
``concat_chat``                :class:`ApplyChatTemplate` (needs ``tokenizer=``)
``python_tool``                :class:`UseTools` + Python sandbox: 5 calls, no tool reward
``python_tool_int_reward``     the same with GEM's shaping: 0.05 per call + 0.25 when it ran cleanly
``search_tool``                :class:`UseTools` + search (BM25 over the shipped corpus by default;
                               ``retriever=`` or ``search_url=``): 5 calls, no tool reward
``search_tool_int_reward``     the same with GEM's shaping: 0.3 per call
``mcp_tool``                   :class:`UseTools` + the tools of MCP servers (``mcp_servers=``): 5
                               calls, no tool reward
``*_no_int_reward``            GEM's names for ``python_tool`` and ``search_tool``
``episode_stats``              :class:`RecordLLMEpisodeStatistics` (alias ``episode_tracking``)
=============================  ====================================================================

Tool calls pay nothing unless asked for (an ``_int_reward`` name, or ``tool_reward=`` and
``tool_success_reward=``): a call must not be worth more than a wrong final answer costs, or
a trainer learns to search instead of answering. GEM pays them by default.

Keyword options go to every wrapper in the stack that takes them (``tokenizer``,
``max_history``, ``tool_reward``, ``timeout``, ``retriever``, ...); an option that no wrapper of
the stack takes is an error.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from typing import Any

import gymnasium as gym

from gem_gymnasium.wrappers.history import (
    ApplyChatTemplate,
    ChatTokens,
    ConcatenateObservations,
    SampledResponse,
)
from gem_gymnasium.wrappers.stats import RecordLLMEpisodeStatistics
from gem_gymnasium.wrappers.tool_use import UseTools

__all__ = [
    "WRAPPERS",
    "ApplyChatTemplate",
    "ChatTokens",
    "ConcatenateObservations",
    "RecordLLMEpisodeStatistics",
    "SampledResponse",
    "UseTools",
    "apply_wrappers",
    "wrapper_options",
]

_TOOL_OPTIONS = ("tool_reward", "tool_success_reward", "max_tool_uses")


def _use_tools(
    make_tool: Callable[..., Any], tool_options: Sequence[str], **preset: Any
) -> Callable[..., gym.Env]:
    """A factory: ``UseTools(env, [make_tool(**tool options)], **rewards)`` with a preset."""

    def build(env: gym.Env, **options: Any) -> gym.Env:
        rewards = {**preset, **{k: options[k] for k in _TOOL_OPTIONS if k in options}}
        tool = make_tool(**{k: options[k] for k in tool_options if k in options})
        return UseTools(env, [tool], **rewards)

    build.options = (*_TOOL_OPTIONS, *tool_options)  # type: ignore[attr-defined]
    return build


def _python_tool(**options: Any) -> Any:
    from gem_gymnasium.tools.python import PythonTool

    return PythonTool(**options)


def _search_tool(**options: Any) -> Any:
    from gem_gymnasium.tools.search import SearchTool

    return SearchTool(**options)


def _mcp_tool(**options: Any) -> Any:
    from gem_gymnasium.tools.mcp_client import MCPTool

    if "mcp_servers" not in options:
        raise ValueError("mcp_tool needs mcp_servers=... (see MCPTool)")
    return MCPTool(options.pop("mcp_servers"), **options)


_PYTHON_OPTIONS = (
    "timeout",
    "isolation",
    "memory_mb",
    "max_output",
    "workers",
    "keep_error_last_line",
    "sandbox",
)
_SEARCH_OPTIONS = ("retriever", "search_url", "topk", "timeout")
_MCP_OPTIONS = ("mcp_servers", "timeout")


def _plain(cls: type, **preset: Any) -> Callable[..., gym.Env]:
    accepted = [
        name
        for name, parameter in inspect.signature(cls.__init__).parameters.items()
        if name not in ("self", "env") and parameter.kind is not parameter.VAR_KEYWORD
    ]

    def build(env: gym.Env, **options: Any) -> gym.Env:
        return cls(env, **{**preset, **{k: options[k] for k in accepted if k in options}})

    build.options = tuple(name for name in accepted if name not in preset)  # type: ignore[attr-defined]
    return build


#: Wrapper names -> factories ``(env, **options) -> env``; ``factory.options`` lists the options
#: it takes.
WRAPPERS: dict[str, Callable[..., gym.Env]] = {
    "concat": _plain(ConcatenateObservations, include_action=False),
    "concat_with_action": _plain(ConcatenateObservations, include_action=True),
    "concat_chat": _plain(ApplyChatTemplate),
    "python_tool": _use_tools(_python_tool, _PYTHON_OPTIONS, max_tool_uses=5),
    "python_tool_int_reward": _use_tools(
        _python_tool, _PYTHON_OPTIONS, tool_reward=0.05, tool_success_reward=0.25, max_tool_uses=5
    ),
    "python_tool_no_int_reward": _use_tools(_python_tool, _PYTHON_OPTIONS, max_tool_uses=5),
    "search_tool": _use_tools(_search_tool, _SEARCH_OPTIONS, max_tool_uses=5),
    "search_tool_int_reward": _use_tools(
        _search_tool, _SEARCH_OPTIONS, tool_reward=0.3, tool_success_reward=0.0, max_tool_uses=5
    ),
    "search_tool_no_int_reward": _use_tools(_search_tool, _SEARCH_OPTIONS, max_tool_uses=5),
    "mcp_tool": _use_tools(_mcp_tool, _MCP_OPTIONS, max_tool_uses=5),
    "episode_stats": _plain(RecordLLMEpisodeStatistics),
    "episode_tracking": _plain(RecordLLMEpisodeStatistics),
}


def parse_spec(spec: str | Sequence[str]) -> list[str]:
    """The wrapper names in ``spec`` (``"a,b"`` or ``["a", "b"]``), checked against WRAPPERS."""
    if isinstance(spec, str):
        names = [name.strip() for name in spec.split(",") if name.strip()]
    else:
        names = [str(name).strip() for name in spec]
    unknown = [name for name in names if name not in WRAPPERS]
    if unknown:
        raise ValueError(
            f"unknown wrapper name(s) {unknown}; known wrappers: {', '.join(sorted(WRAPPERS))}"
        )
    return names


def wrapper_options() -> frozenset[str]:
    """Every option some named wrapper takes (what ``apply_wrappers`` accepts as keywords)."""
    return frozenset(option for wrapper in WRAPPERS.values() for option in wrapper.options)  # type: ignore[attr-defined]


def apply_wrappers(env: gym.Env, spec: str | Sequence[str], **options: Any) -> gym.Env:
    """Wrap ``env`` with the wrappers named in ``spec``, left to right (innermost first).

    Args:
        env: The environment to wrap.
        spec: Comma-separated names (``"python_tool,concat_chat"``) or a list of names; empty
            means no wrappers.
        **options: Options for the wrappers (each takes the ones it knows).

    Raises:
        ValueError: An unknown name (the message lists the known ones), or an option no wrapper
            in the stack takes.
    """
    names = parse_spec(spec)
    used = {option for name in names for option in WRAPPERS[name].options}  # type: ignore[attr-defined]
    stray = sorted(set(options) - used)
    if stray:
        raise ValueError(f"option(s) {stray} are not taken by any wrapper in {names}")
    for name in names:
        env = WRAPPERS[name](env, **options)
    return env
