"""A small MCP server written with the official SDK, for the MCP client tests (run over stdio).

Usage: python mcp_server.py [PREFIX]   (PREFIX names the server in its answers)
"""

from __future__ import annotations

import sys
import time

try:  # mcp >= 2
    from mcp.server.mcpserver import MCPServer as Server
except ImportError:  # mcp 1.x
    from mcp.server.fastmcp import FastMCP as Server

PREFIX = sys.argv[1] if len(sys.argv) > 1 else "main"
server = Server(f"test-{PREFIX}")


@server.tool()
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


@server.tool()
def whoami() -> str:
    """Name the server that answered."""
    return PREFIX


@server.tool()
def fail(message: str) -> str:
    """Always raise an error with the given message."""
    raise ValueError(message)


@server.tool()
def slow(seconds: float) -> str:
    """Sleep, then answer."""
    time.sleep(seconds)
    return "done"


if __name__ == "__main__":
    server.run()
