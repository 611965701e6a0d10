"""``MCPTool``: call the tools of one or more MCP servers (stdio or streamable HTTP).

Built on the official ``mcp`` SDK. The agent writes::

    <tool_call><tool_name>NAME</tool_name><arguments>{"x": 1}</arguments></tool_call>

and gets ``<tool_response>...</tool_response>`` back. The prompt lists every tool with its
description and JSON input schema. Errors (unknown tool, bad JSON, a failing tool, a timeout, a
server gone) come back as the observation, never as exceptions.

The SDK is async; the tool runs one event loop in a background thread and keeps one session per
server open on it (each session lives inside a single task, as the SDK's task groups require).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import json
import os
import re
import shlex
import threading
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import AsyncExitStack, asynccontextmanager, suppress
from dataclasses import dataclass
from typing import Any

from gem_gymnasium.extras import optional_imports
from gem_gymnasium.tools.base import Tool, ToolCall, ToolResult, first_tagged

__all__ = ["MCPServerSpec", "MCPTool"]

_NAME = re.compile(r"<tool_name>(.*?)</tool_name>", re.DOTALL)
#: Seconds a server gets to shut down when asked, and again once its task is cancelled.
_STOP_GRACE_S = 5.0
_STOP_WAIT_S = 2 * _STOP_GRACE_S + 1  # the most _stop can take
#: JSON-RPC code the SDK gives every call on a connection whose server went away.
_CONNECTION_CLOSED = -32000


@dataclass(frozen=True)
class MCPServerSpec:
    """How to reach one MCP server: a command (stdio) or a streamable-HTTP ``url``."""

    command: str | None = None
    args: tuple[str, ...] = ()
    env: Mapping[str, str] | None = None
    url: str | None = None

    @classmethod
    def parse(cls, value: Any) -> MCPServerSpec:
        """From a spec, a URL, a command line, or ``{"command", "args", "env"}`` / ``{"url"}``."""
        if isinstance(value, MCPServerSpec):
            return value
        if isinstance(value, str):
            if value.startswith(("http://", "https://")):
                return cls(url=value)
            parts = shlex.split(value)
            if not parts:
                raise ValueError("an MCP server command line must not be empty")
            return cls(command=parts[0], args=tuple(parts[1:]))
        if isinstance(value, Mapping):
            if "url" in value:
                return cls(url=str(value["url"]))
            if "command" in value:
                return cls(
                    command=str(value["command"]),
                    args=tuple(str(a) for a in value.get("args", ())),
                    env=value.get("env"),
                )
        raise ValueError(f"cannot make an MCP server spec from {value!r}")


def _schema(tool: Any) -> Any:
    # mcp 2 renamed the field from inputSchema to input_schema.
    return getattr(tool, "input_schema", None) or getattr(tool, "inputSchema", None) or {}


def _content_text(content: Any) -> str:
    text = getattr(content, "text", None)
    if isinstance(text, str):
        return text
    kind = getattr(content, "type", type(content).__name__)
    return f"[{kind} content]"


@asynccontextmanager
async def _stdio_quietly(stdio_client: Any, parameters: Any) -> AsyncIterator[Any]:
    """``stdio_client`` with the server's stderr (its logs) sent to /dev/null."""
    with open(os.devnull, "w") as devnull:
        async with stdio_client(parameters, errlog=devnull) as streams:
            yield streams


def _describe(exc: BaseException | None) -> str:
    """``Type: message`` of an error, looking inside the exception groups of task groups."""
    while exc is not None and getattr(exc, "exceptions", None):
        exc = exc.exceptions[0]  # type: ignore[attr-defined]
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def _connection_lost(exc: BaseException) -> bool:
    """Whether a failed call means the server's connection is gone (not just a failed call)."""
    import anyio

    if getattr(exc, "code", None) == _CONNECTION_CLOSED:
        return True
    lost = (anyio.ClosedResourceError, anyio.BrokenResourceError, anyio.EndOfStream, EOFError)
    return isinstance(exc, lost) or "connection closed" in str(exc).lower()


async def _stop(connections: Sequence[_Connection]) -> None:
    """End each connection: a started one is asked and given time, then cancelled; one still
    in its handshake is cancelled at once. Leaving its transport kills the server process."""
    tasks = [c.task for c in connections if c.task is not None and not c.task.done()]
    for connection in connections:
        connection.stop.set()
        if connection.task is not None and not connection.ready.is_set():
            connection.task.cancel()
    if not tasks:
        return
    _, pending = await asyncio.wait(tasks, timeout=_STOP_GRACE_S)
    for task in pending:
        task.cancel()
    if pending:
        await asyncio.wait(pending, timeout=_STOP_GRACE_S)


class _Connection:
    """One server session, opened and closed inside one task on the tool's loop."""

    def __init__(self, name: str, spec: MCPServerSpec) -> None:
        self.name, self.spec = name, spec
        self.session: Any = None
        self.tools: list[Any] = []
        self.ready = asyncio.Event()
        self.stop = asyncio.Event()
        self.error: BaseException | None = None
        self.task: asyncio.Future[None] | None = None
        self.lost = False  # a call found the connection closed: reconnect before the next one

    @property
    def usable(self) -> bool:
        return self.session is not None and not self.lost and not (self.task and self.task.done())

    async def run(self) -> None:
        with optional_imports("the MCP tool"):
            from mcp import ClientSession

        try:
            async with AsyncExitStack() as stack:
                streams = await stack.enter_async_context(self._transport())
                read, write = streams[0], streams[1]
                self.session = await stack.enter_async_context(ClientSession(read, write))
                await self.session.initialize()
                self.tools = list((await self.session.list_tools()).tools)
                self.ready.set()
                await self.stop.wait()
        except BaseException as exc:  # reported to the caller waiting on `ready`
            self.error = exc
            self.ready.set()
            if not isinstance(exc, Exception):
                raise
        finally:
            self.session = None

    def _transport(self) -> Any:
        if self.spec.url is not None:
            from mcp.client import streamable_http

            # mcp 2 renamed streamablehttp_client to streamable_http_client.
            connect = (
                getattr(streamable_http, "streamable_http_client", None)
                or streamable_http.streamablehttp_client
            )
            return connect(self.spec.url)
        from mcp.client.stdio import StdioServerParameters, stdio_client

        parameters = StdioServerParameters(
            command=self.spec.command or "",
            args=list(self.spec.args),
            env=dict(self.spec.env) if self.spec.env is not None else None,
        )
        return _stdio_quietly(stdio_client, parameters)


class MCPTool(Tool):
    """Expose the tools of MCP servers to the agent.

    Args:
        servers: ``{name: server}`` or a list of servers, each a command line (stdio), a URL
            (streamable HTTP), a ``{"command", "args", "env"}`` / ``{"url"}`` dict or an
            :class:`MCPServerSpec`.
        timeout: Seconds per tool call.
        connect_timeout: Seconds to start and initialise all servers.

    A tool name offered by two servers is listed as ``server.tool`` for each of them.
    """

    name = "mcp"

    def __init__(
        self,
        servers: Mapping[str, Any] | Sequence[Any] | str,
        *,
        timeout: float = 10.0,
        connect_timeout: float = 30.0,
    ) -> None:
        if isinstance(servers, (str, MCPServerSpec)):
            servers = [servers]
        if isinstance(servers, Mapping):
            named = {str(k): MCPServerSpec.parse(v) for k, v in servers.items()}
        else:
            named = {f"server{i}": MCPServerSpec.parse(v) for i, v in enumerate(servers)}
        if not named:
            raise ValueError("MCPTool needs at least one server")
        self.servers = named
        self.timeout = float(timeout)
        self.connect_timeout = float(connect_timeout)
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._connections: dict[str, _Connection] = {}
        self._routes: dict[str, tuple[str, Any]] = {}

    # --- connection management --------------------------------------------------------------

    def _submit(self, coro: Any, timeout: float) -> Any:
        assert self._loop is not None
        future = asyncio.run_coroutine_threadsafe(coro, self._loop)
        try:
            return future.result(timeout)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise

    def connect(self) -> None:
        """Start every server and list its tools (done lazily on first use)."""
        with self._lock:
            if self._loop is not None:
                return
            loop = asyncio.new_event_loop()
            self._thread = threading.Thread(target=loop.run_forever, daemon=True, name="mcp-loop")
            self._thread.start()
            self._loop = loop
            try:
                self._submit(self._open(list(self.servers)), self.connect_timeout + _STOP_WAIT_S)
            except BaseException:
                self._shutdown()
                raise
            counts: dict[str, int] = {}
            for connection in self._connections.values():
                for tool in connection.tools:
                    counts[tool.name] = counts.get(tool.name, 0) + 1
            for name, connection in self._connections.items():
                for tool in connection.tools:
                    exposed = tool.name if counts[tool.name] == 1 else f"{name}.{tool.name}"
                    self._routes[exposed] = (name, tool)

    async def _open(self, names: list[str]) -> None:
        """Start the named servers; on any failure stop them (killing their processes) and say why."""
        connections = [_Connection(name, self.servers[name]) for name in names]
        for connection in connections:
            connection.task = asyncio.ensure_future(connection.run())
            self._connections[connection.name] = connection
        waits = [asyncio.ensure_future(c.ready.wait()) for c in connections]
        _, pending = await asyncio.wait(waits, timeout=self.connect_timeout)
        for wait in pending:
            wait.cancel()
        problems = [
            f"{c.name!r} did not finish starting (initialize and list_tools) within "
            f"{self.connect_timeout:g} s"
            for c in connections
            if not c.ready.is_set()
        ] + [f"{c.name!r} failed to start: {_describe(c.error)}" for c in connections if c.error]
        if problems:
            await _stop(connections)
            raise ConnectionError("MCP server " + "; ".join(problems))

    def _session(self, server: str) -> Any:
        """The server's live session, restarting the server first if its connection was lost."""
        connection = self._connections.get(server)
        if connection is not None and connection.usable:
            return connection.session
        with self._lock:
            old = self._connections.get(server)
            if old is not None:
                self._submit(_stop([old]), _STOP_WAIT_S)
            self._submit(self._open([server]), self.connect_timeout + _STOP_WAIT_S)
            return self._connections[server].session

    @property
    def tool_names(self) -> list[str]:
        self.connect()
        return list(self._routes)

    def close(self) -> None:
        with self._lock:
            self._shutdown()

    def _shutdown(self) -> None:
        loop = self._loop
        if loop is None:
            return
        connections = list(self._connections.values())
        # _stop cancels a server stuck in its handshake, which kills its process.
        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(_stop(connections), loop).result(_STOP_WAIT_S)
        loop.call_soon_threadsafe(loop.stop)
        if self._thread is not None:
            self._thread.join(timeout=5)
        loop.close()
        self._loop, self._thread = None, None
        self._connections, self._routes = {}, {}

    def __del__(self) -> None:
        with suppress(Exception):
            self.close()

    def __getstate__(self) -> dict[str, Any]:
        # Sessions are live processes and sockets: a copy reconnects lazily.
        state = {k: v for k, v in self.__dict__.items() if k in ("servers", "timeout")}
        state["connect_timeout"] = self.connect_timeout
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(
            state["servers"], timeout=state["timeout"], connect_timeout=state["connect_timeout"]
        )  # type: ignore[misc]

    # --- the Tool interface -----------------------------------------------------------------

    def instructions(self) -> str:
        self.connect()
        lines = [
            "You can call the following tools. To call one, write exactly:",
            "<tool_call><tool_name>NAME</tool_name><arguments>{JSON object}</arguments></tool_call>",
            "The arguments must be a JSON object that follows the tool's input schema. The "
            "result comes back inside <tool_response> ... </tool_response>.",
            "",
            "Tools:",
        ]
        for exposed, (_, tool) in self._routes.items():
            lines.append(f"- {exposed}: {(tool.description or '').strip()}")
            lines.append(f"  input schema: {json.dumps(_schema(tool), sort_keys=True)}")
        return "\n".join(lines)

    def find_call(self, action: str) -> ToolCall | None:
        hit = first_tagged(action, "tool_call")
        if hit is None:
            return None
        body, end = hit
        name = _NAME.search(body)
        arguments = first_tagged(body, "arguments")
        payload = (
            None if name is None else name.group(1).strip(),
            None if arguments is None else arguments[0].strip(),
        )
        return ToolCall(self.name, payload, end)

    def execute(self, call: ToolCall) -> ToolResult:
        name, raw_arguments = call.payload
        if not name:
            return self._error("the tool call has no <tool_name>")
        try:
            arguments = json.loads(raw_arguments) if raw_arguments else {}
        except json.JSONDecodeError as exc:
            return self._error(f"the arguments are not valid JSON ({exc})")
        if not isinstance(arguments, dict):
            return self._error("the arguments must be a JSON object")
        try:
            self.connect()
        except Exception as exc:
            return self._error(f"could not connect to the MCP servers: {exc}")
        if name not in self._routes:
            return self._error(f"unknown tool {name!r}; available: {', '.join(self._routes)}")
        server, tool = self._routes[name]
        try:
            session = self._session(server)
        except Exception as exc:
            return self._error(f"the MCP server {server!r} could not be restarted: {exc}")
        try:
            result = self._submit(session.call_tool(tool.name, arguments), self.timeout)
        except concurrent.futures.TimeoutError:
            return self._error(f"the tool {name!r} did not answer within {self.timeout:g} s")
        except Exception as exc:
            if _connection_lost(exc):
                self._connections[server].lost = True
                return self._error(
                    f"the MCP server {server!r} closed the connection ({_describe(exc)}); "
                    "it is restarted on the next call"
                )
            return self._error(_describe(exc))
        text = "\n".join(_content_text(c) for c in getattr(result, "content", []) or [])
        structured = getattr(
            result, "structured_content", getattr(result, "structuredContent", None)
        )
        if not text and structured is not None:
            text = json.dumps(structured)
        failed = bool(getattr(result, "is_error", getattr(result, "isError", False)))
        prefix = "Error: " if failed else ""
        return ToolResult(f"\n<tool_response>\n{prefix}{text}\n</tool_response>\n", not failed)

    @staticmethod
    def _error(message: str) -> ToolResult:
        return ToolResult(f"\n<tool_response>\nError: {message}\n</tool_response>\n", False)

    def __repr__(self) -> str:
        return f"MCPTool(servers={list(self.servers)}, timeout={self.timeout:g})"
