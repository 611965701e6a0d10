"""``PythonSandbox``: run untrusted, model-written Python with OS isolation and warm workers.

>>> with PythonSandbox(timeout=2) as sandbox:  # doctest: +SKIP
...     result = sandbox.run("print(6 * 7)")
>>> result.stdout, result.ok, sandbox.isolation  # doctest: +SKIP
('42\\n', True, 'namespace')

Each worker is a long-lived interpreter (the one running this program, ``sys.executable``) that
forks a confined child per call, so a call costs a ``fork`` rather than an interpreter start.
What confines the child depends on the isolation level (see ``_sandbox_worker.py`` for the
details):

======================  ==============================================================
``"namespace"``         mount/PID/network/IPC/UTS namespaces, a read-only root holding
                        only system libraries and the interpreter, no network, a fresh
                        size-capped work dir per call, plus everything below
``"rlimits"``           resource limits (memory, CPU, file size, processes, open files),
                        an unprivileged uid when started as root, a temp work dir, and a
                        kill of the whole process tree after every call
======================  ==============================================================

``isolation="auto"`` takes the strongest level this machine supports and reports it in
:attr:`PythonSandbox.isolation`; naming a level that is not available raises
:class:`SandboxUnavailable` (fail closed).
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import secrets
import select
import signal
import struct
import subprocess
import sys
import threading
import time
import weakref
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["ISOLATION_LEVELS", "PythonSandbox", "SandboxResult", "SandboxUnavailable"]

#: Isolation levels, strongest first.
ISOLATION_LEVELS: tuple[str, ...] = ("namespace", "rlimits")

_WORKER = Path(__file__).with_name("_sandbox_worker.py")
_START_TIMEOUT = 30.0
#: Extra seconds a worker gets beyond the call's timeout to kill, clean up and answer.
_GRACE = 10.0
#: The first uid handed to code when the sandbox runs as root; high so it owns nothing.
_UID_BASE = 1_500_000_000

_auto_level: str | None = None
_auto_lock = threading.Lock()


class SandboxUnavailable(RuntimeError):
    """The requested isolation level cannot be set up on this machine."""


@dataclass
class SandboxResult:
    """What one run of code produced.

    Attributes:
        stdout: Standard output, at most ``max_output`` bytes (decoded as UTF-8).
        stderr: Standard error (tracebacks), same cap.
        exit_code: The exit status (negative: killed by that signal); ``None`` after a timeout.
        timed_out: The wall-clock or CPU limit ended the run.
        error: Why the sandbox stopped or failed the run: ``"timeout"``, ``"memory"``,
            ``"output_truncated"``, ``"sandbox_error"``, ``"killed by SIG..."``; ``None`` for a
            run that ended on its own (even with an exception: see ``stderr``).
        duration: Seconds from request to answer.
    """

    stdout: str
    stderr: str
    exit_code: int | None
    timed_out: bool
    error: str | None
    duration: float = field(default=0.0)

    @property
    def ok(self) -> bool:
        """Exit status 0 and no timeout."""
        return self.exit_code == 0 and not self.timed_out


def _read_frame(fd: int, deadline: float) -> dict[str, Any] | None:
    """One length-prefixed JSON frame from ``fd``; ``None`` on EOF or when the deadline passes."""
    data = b""
    need = 4
    header_done = False
    while True:
        while len(data) < need:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                return None
            chunk = os.read(fd, max(need - len(data), 65536) if header_done else need - len(data))
            if not chunk:
                return None
            data += chunk
        if header_done:
            return json.loads(data)
        need = struct.unpack(">I", data)[0]
        data, header_done = b"", True


class _Worker:
    """One worker process and its pipes."""

    def __init__(self, config: dict[str, Any]) -> None:
        self.config = config
        self.process = subprocess.Popen(
            [sys.executable, "-I", str(_WORKER), json.dumps(config)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            close_fds=True,
            start_new_session=True,  # its own process group, so close() can kill it whole
        )
        self.ready: dict[str, Any] | None = None

    def wait_ready(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        message = _read_frame(self.process.stdout.fileno(), time.monotonic() + _START_TIMEOUT)
        if message is None:
            self.kill()
            message = {"ready": False, "error": "the worker did not start"}
        self.ready = message
        return message

    def call(self, request: dict[str, Any]) -> dict[str, Any] | None:
        assert self.process.stdin is not None and self.process.stdout is not None
        body = json.dumps(request).encode()
        try:
            self.process.stdin.write(struct.pack(">I", len(body)) + body)
            self.process.stdin.flush()
        except (BrokenPipeError, ValueError):
            return None
        deadline = time.monotonic() + request["timeout"] + _GRACE
        return _read_frame(self.process.stdout.fileno(), deadline)

    def kill(self) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(OSError):
                os.killpg(self.process.pid, signal.SIGKILL)
        for stream in (self.process.stdin, self.process.stdout):
            try:
                if stream is not None:
                    stream.close()
            except OSError:
                pass
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=5)


def _close_workers(workers: list[_Worker]) -> None:
    for worker in workers:
        worker.kill()


def _probe_auto(config: dict[str, Any]) -> str:
    """The strongest level a worker can set up here (probed once per process)."""
    global _auto_level
    with _auto_lock:
        if _auto_level is None:
            for level in ISOLATION_LEVELS:
                worker = _Worker({**config, "isolation": level})
                ready = worker.wait_ready()
                worker.kill()
                if ready.get("ready"):
                    _auto_level = level
                    break
            else:
                raise SandboxUnavailable(f"no isolation level works here: {ready.get('error')}")
        return _auto_level


class PythonSandbox:
    """A pool of warm, isolated Python workers.

    Args:
        isolation: ``"auto"`` (the strongest available), ``"namespace"`` or ``"rlimits"``.
            A named level that cannot be set up raises :class:`SandboxUnavailable`.
        timeout: Default wall-clock limit per call, seconds (CPU time is capped just above it).
        memory_mb: Address-space cap of the code's process, MiB.
        max_output: Cap on stdout and on stderr, bytes; output beyond it stops the run
            (``error="output_truncated"``) and is never held in memory.
        workers: Worker processes, i.e. calls that can run at once (default: 4 per CPU, at
            most 32; each is a small idle interpreter between calls).
        max_processes: Processes the code may have at once (``RLIMIT_NPROC``; enforced because
            code never runs as root).
        disk_mb: Size of the work dir (namespace level) and cap on any file the code writes.
        preload: Modules every worker imports once at start (e.g. ``("numpy", "sympy")``), so
            code importing them pays nothing; missing modules are skipped.

    Thread-safe: ``run`` may be called from many threads; each call takes an idle worker.
    """

    def __init__(
        self,
        *,
        isolation: str = "auto",
        timeout: float = 5.0,
        memory_mb: int = 512,
        max_output: int = 64_000,
        workers: int | None = None,
        max_processes: int = 64,
        disk_mb: int = 64,
        preload: Sequence[str] = (),
    ) -> None:
        if isolation != "auto" and isolation not in ISOLATION_LEVELS:
            raise ValueError(
                f"isolation must be 'auto' or one of {ISOLATION_LEVELS}, got {isolation!r}"
            )
        if timeout <= 0:
            raise ValueError(f"timeout must be > 0, got {timeout}")
        for name, value in (
            ("memory_mb", memory_mb),
            ("max_output", max_output),
            ("max_processes", max_processes),
            ("disk_mb", disk_mb),
        ):
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive int, got {value!r}")
        if workers is None:
            # Workers overlap one call's fork and clean-up with others' runs: a few per CPU pay.
            workers = min(32, 4 * (os.cpu_count() or 1))
        if workers < 1:
            raise ValueError(f"workers must be >= 1, got {workers}")
        self.timeout = float(timeout)
        self.memory_mb = memory_mb
        self.max_output = max_output
        base = {
            "max_processes": max_processes,
            "disk_mb": disk_mb,
            "preload": list(preload),
        }
        self.isolation: str = _probe_auto(base) if isolation == "auto" else isolation
        self._configs = []
        uid_base = _UID_BASE + secrets.randbelow(500_000) * 1024  # stays below 2**31
        for index in range(workers):
            uid = uid_base + index if os.geteuid() == 0 else None
            self._configs.append({**base, "isolation": self.isolation, "uid": uid})
        self._workers = [_Worker(config) for config in self._configs]
        self._finalizer = weakref.finalize(self, _close_workers, self._workers)
        for worker in self._workers:
            ready = worker.wait_ready()
            if not ready.get("ready"):
                self.close()
                raise SandboxUnavailable(
                    f"isolation level {self.isolation!r} is not available here: "
                    f"{ready.get('error')}"
                )
        #: Whether code runs as root: only at the ``rlimits`` level, when the interpreter is not
        #: readable by an unprivileged uid; ``RLIMIT_NPROC`` is then not enforced.
        self.runs_as_root = os.geteuid() == 0 and any(
            worker.ready is not None and worker.ready.get("uid") is None for worker in self._workers
        )
        self._idle: queue.SimpleQueue[int] = queue.SimpleQueue()
        for index in range(workers):
            self._idle.put(index)
        self._closed = False

    def run(self, code: str, stdin: str = "", timeout: float | None = None) -> SandboxResult:
        """Run ``code`` as a fresh ``__main__`` module and return what it did. Never raises for
        anything the code does."""
        if not isinstance(code, str) or not isinstance(stdin, str):
            raise TypeError("code and stdin must be str")
        if self._closed:
            raise RuntimeError("the sandbox is closed")
        timeout = self.timeout if timeout is None else float(timeout)
        if timeout <= 0:
            raise ValueError(f"timeout must be > 0, got {timeout}")
        request = {
            "code": code,
            "stdin": stdin,
            "timeout": timeout,
            "memory_mb": self.memory_mb,
            "max_output": self.max_output,
        }
        start = time.perf_counter()
        index = self._idle.get()
        try:
            answer = self._workers[index].call(request)
            if answer is None:
                # The worker died or stopped answering: replace it, report the run as failed.
                self._workers[index].kill()
                self._workers[index] = _Worker(self._configs[index])
                self._workers[index].wait_ready()
                answer = {
                    "stdout": "",
                    "stderr": "",
                    "exit_code": None,
                    "timed_out": False,
                    "error": "sandbox_error",
                }
        finally:
            self._idle.put(index)
        answer.pop("duration", None)
        return SandboxResult(**answer, duration=time.perf_counter() - start)

    def close(self) -> None:
        """Stop every worker (and anything still running in them). Idempotent."""
        self._closed = True
        self._finalizer()

    def __enter__(self) -> PythonSandbox:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return (
            f"PythonSandbox(isolation={self.isolation!r}, timeout={self.timeout}, "
            f"memory_mb={self.memory_mb}, workers={len(self._configs)})"
        )
