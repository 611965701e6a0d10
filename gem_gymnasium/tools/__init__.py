"""Tools an LLM agent can call from its action text: a Python sandbox, search and MCP servers.

Every tool implements :class:`~gem_gymnasium.tools.base.Tool`; the
:class:`~gem_gymnasium.wrappers.tool_use.UseTools` wrapper runs the first complete call found in
an action. Modules load lazily, so ``import gem_gymnasium.tools`` stays cheap.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "PythonSandbox": "gem_gymnasium.tools.sandbox",
    "SandboxResult": "gem_gymnasium.tools.sandbox",
    "SandboxUnavailable": "gem_gymnasium.tools.sandbox",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
