"""The MCP client recovers from a dead server and says what timed out for one that hangs."""

from __future__ import annotations

import os
import signal
import sys
import time
import uuid
from pathlib import Path

import pytest

pytest.importorskip("mcp")

from gem_gymnasium.tools.mcp_client import MCPTool

pytestmark = pytest.mark.timeout(120)

HERE = Path(__file__).parent
SERVER = str(HERE / "mcp_server.py")
SILENT_SERVER = str(HERE / "mcp_silent_server.py")


def call(name: str, arguments: str = "{}") -> str:
    return f"<tool_call><tool_name>{name}</tool_name><arguments>{arguments}</arguments></tool_call>"


def _pids_with(marker: str) -> list[int]:
    """Processes whose command line contains ``marker`` (Linux /proc)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if marker in (entry / "cmdline").read_bytes().decode(errors="replace"):
                    pids.append(int(entry.name))
            except OSError:
                continue
    return pids


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")  # a zombie has exited


def _wait_until_dead(pid: int, seconds: float = 15.0) -> bool:
    deadline = time.monotonic() + seconds
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    return not _alive(pid)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_dead_server_is_restarted_on_the_next_call() -> None:
    marker = f"victim-{uuid.uuid4().hex}"
    tool = MCPTool({"main": f"{sys.executable} {SERVER} {marker}"}, timeout=5)
    try:
        assert tool.execute(tool.find_call(call("add", '{"a": 1, "b": 2}'))).ok
        (pid,) = _pids_with(marker)
        os.kill(pid, signal.SIGKILL)
        assert _wait_until_dead(pid)
        lost = tool.execute(tool.find_call(call("add", '{"a": 1, "b": 2}')))
        assert not lost.ok and "restarted on the next call" in lost.observation
        again = tool.execute(tool.find_call(call("add", '{"a": 20, "b": 22}')))
        assert again.ok and "42" in again.observation
        assert (
            tool.execute(tool.find_call(call("whoami")))
            .observation.strip()
            .endswith(f"{marker}\n</tool_response>")
        )
    finally:
        tool.close()


def test_a_server_that_never_initializes_is_named_and_killed(tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    tool = MCPTool({"mute": f"{sys.executable} {SILENT_SERVER} {pid_file}"}, connect_timeout=1)
    try:
        result = tool.execute(tool.find_call(call("add")))
        assert not result.ok
        assert "'mute' did not finish starting (initialize and list_tools) within 1 s" in (
            result.observation
        )
        assert _wait_until_dead(int(pid_file.read_text())), "the failed server is still running"
    finally:
        tool.close()
