"""``PythonTool``: the agent writes Python, the sandbox runs it, the output is the observation.

Calls are ``<python>...</python>`` or a fenced ```` ```python ```` block; the first complete one
in the action runs. Code runs in a :class:`~gem_gymnasium.tools.sandbox.PythonSandbox`, shared by
every tool in the process that asks for the same settings (so eight envs share one warm pool).
"""

from __future__ import annotations

import os
import threading
from typing import Any

from gem_gymnasium.tools.base import Tool, ToolCall, ToolResult, first_fenced_python, first_tagged

__all__ = ["PythonTool", "shared_sandbox"]

_pools: dict[tuple[Any, ...], Any] = {}
_pools_lock = threading.Lock()


def shared_sandbox(**settings: Any) -> Any:
    """The process-wide :class:`PythonSandbox` for ``settings`` (created on first use)."""
    from gem_gymnasium.tools.sandbox import PythonSandbox

    key = (os.getpid(), *sorted(settings.items()))
    with _pools_lock:
        sandbox = _pools.get(key)
        if sandbox is None:
            sandbox = _pools[key] = PythonSandbox(**settings)
        return sandbox


class PythonTool(Tool):
    """Run the first ``<python>`` / ```` ```python ```` block of an action in the sandbox.

    Args:
        timeout: Wall-clock seconds per call.
        isolation: Sandbox isolation level (``"auto"``, ``"bwrap"``, ``"namespace"``; the unsafe
            ``"rlimits"`` needs a sandbox made with ``allow_unsafe_rlimits=True``, passed as
            ``sandbox``).
        memory_mb: Memory cap of the code, MiB.
        max_output: Cap on the code's stdout and stderr together, bytes.
        workers: Sandbox workers (default: the sandbox's).
        keep_error_last_line: Report only the last line of stderr (the exception itself).
        sandbox: A sandbox to use instead of the shared one.
    """

    name = "python"

    def __init__(
        self,
        *,
        timeout: float = 5.0,
        isolation: str = "auto",
        memory_mb: int = 512,
        max_output: int = 8_000,
        workers: int | None = None,
        keep_error_last_line: bool = False,
        sandbox: Any = None,
    ) -> None:
        self.settings = {
            "timeout": float(timeout),
            "isolation": isolation,
            "memory_mb": memory_mb,
            "max_output": max_output,
            "workers": workers,
        }
        self.keep_error_last_line = keep_error_last_line
        self._sandbox = sandbox

    @property
    def sandbox(self) -> Any:
        if self._sandbox is None:
            self._sandbox = shared_sandbox(**self.settings)
        return self._sandbox

    def instructions(self) -> str:
        return (
            "You may run Python code to help you: write a complete script inside "
            "<python>...</python> tags or a ```python ... ``` block. The first such block in "
            'your reply is executed and its output comes back after "Code execution result:". '
            "Give your final answer within \\boxed{}."
        )

    def find_call(self, action: str) -> ToolCall | None:
        found = [
            hit
            for hit in (first_tagged(action, "python"), first_fenced_python(action))
            if hit is not None
        ]
        if not found:
            return None
        code, end = min(found, key=lambda hit: hit[1])
        return ToolCall(self.name, code.strip("\n"), end)

    def execute(self, call: ToolCall) -> ToolResult:
        result = self.sandbox.run(call.payload)
        stderr = result.stderr
        if self.keep_error_last_line and stderr.strip():
            stderr = stderr.strip().splitlines()[-1]
        if result.timed_out:
            stderr = f"{stderr}\nTimeoutError: the code ran longer than the time limit.".lstrip()
        elif result.error == "output_truncated":
            stderr = f"{stderr}\n[output truncated: too much output]".lstrip()
        elif result.error == "memory" and "MemoryError" not in stderr:
            stderr = f"{stderr}\nMemoryError: the code exceeded the memory limit.".lstrip()
        text = (f"{result.stdout}\n{stderr}" if stderr else result.stdout).lstrip(" \n")
        return ToolResult(f"Code execution result: {text}\n", result.ok)

    def __getstate__(self) -> dict[str, Any]:
        # A sandbox is a set of live processes: a copy gets its own (or the shared one) lazily.
        return {**self.__dict__, "_sandbox": None}

    def __repr__(self) -> str:
        return f"PythonTool(timeout={self.settings['timeout']}, isolation={self.settings['isolation']!r})"
