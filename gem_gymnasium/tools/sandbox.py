"""``PythonSandbox``: run untrusted, model-written Python with OS isolation and warm workers.

>>> with PythonSandbox(timeout=2) as sandbox:  # doctest: +SKIP
...     result = sandbox.run("print(6 * 7)")
>>> result.stdout, result.ok, sandbox.isolation  # doctest: +SKIP
('42\\n', True, 'bwrap')

Each worker is a long-lived interpreter (the one running this program, ``sys.executable``) that
forks a confined child per call, so a call costs a ``fork`` rather than an interpreter start.
What confines the worker and its children depends on the isolation level (``docs/sandbox.md``
says what each guarantees and why):

======================  ==============================================================
``"bwrap"``             bubblewrap (``bwrap``) starts the worker in user, mount, PID,
                        network, IPC, UTS and cgroup namespaces with no capabilities and
                        no further user namespaces; a read-only root holding only system
                        libraries and the interpreter; private size-capped ``/tmp`` and
                        ``/dev/shm`` emptied after every call; plus the limits below
``"namespace"``         the same world built by this package's own ``unshare`` /
                        ``pivot_root`` code, for machines without bubblewrap
``"rlimits"``           **unsafe**, opt-in only (``allow_unsafe_rlimits=True``): resource
                        limits, a temp work dir and process-tree kills, but host files,
                        the network and the host's ``/tmp`` stay within reach
======================  ==============================================================

Every level runs the code under an unprivileged uid with no capabilities (a sandbox started as
root runs its workers under a fresh uid of their own), under limits on address space, CPU time,
file size, open files and processes, and kills it with its call and with the host.
``isolation="auto"`` takes the first safe level this machine supports and reports it in
:attr:`PythonSandbox.isolation`; when none works, or a named level does not, the constructor raises
:class:`SandboxUnavailable` saying why (fail closed).
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import secrets
import select
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time
import warnings
import weakref
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gem_gymnasium.tools import _sandbox_worker as worker_module

__all__ = [
    "ISOLATION_LEVELS",
    "SAFE_LEVELS",
    "PythonSandbox",
    "SandboxResult",
    "SandboxUnavailable",
]

#: Isolation levels, strongest first.
ISOLATION_LEVELS: tuple[str, ...] = ("bwrap", "namespace", "rlimits")
#: The levels ``auto`` may pick; the others need an explicit opt-in.
SAFE_LEVELS: tuple[str, ...] = ("bwrap", "namespace")

_WORKER = Path(worker_module.__file__)
#: This package: its data (task samples with their answers) is hidden from the code.
_PACKAGE_DIR = Path(__file__).resolve().parents[1]
_START_TIMEOUT = 30.0
#: Extra seconds a worker gets beyond the call's timeout to kill, clean up and answer.
_GRACE = 10.0
#: The first uid handed to workers when the sandbox runs as root; high so it owns nothing.
_UID_BASE = 1_500_000_000

#: A worker's whole environment; the code gets its own, set by the worker.
_WORKER_ENV = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8"}

_auto_level: str | None = None
_auto_lock = threading.Lock()

_HOW_TO_FIX = (
    "install bubblewrap (Debian/Ubuntu: apt-get install bubblewrap) and allow unprivileged user "
    "namespaces (sysctl kernel.unprivileged_userns_clone=1, or kernel.apparmor_restrict_"
    "unprivileged_userns=0 on Ubuntu; in Docker, run with a seccomp profile that permits "
    "unshare/clone(CLONE_NEWUSER), e.g. --security-opt seccomp=unconfined); the interpreter must "
    "be readable by other users when the sandbox runs as root"
)


class SandboxUnavailable(RuntimeError):
    """The requested isolation level cannot be set up on this machine."""


@dataclass
class SandboxResult:
    """What one run of code produced.

    Attributes:
        stdout: Standard output (decoded as UTF-8); with stderr at most ``max_output`` bytes.
        stderr: Standard error (tracebacks).
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


_spawners: dict[int, ThreadPoolExecutor] = {}
_spawners_lock = threading.Lock()


def _spawner() -> ThreadPoolExecutor:
    """The thread that starts every worker of this process, alive as long as the process.

    A parent-death signal (bubblewrap's ``--die-with-parent``) fires when the *thread* that
    started the process ends, so workers started from a short-lived thread (a pool's, an env's)
    would die with it. One per process id: a forked child gets its own.
    """
    with _spawners_lock:
        pool = _spawners.get(os.getpid())
        if pool is None:
            pool = _spawners[os.getpid()] = ThreadPoolExecutor(1, "gem-sandbox-spawner")
        return pool


def _worker_source() -> str:
    return _WORKER.read_text()


def _bwrap_arguments(config: dict[str, Any], info_fd: int) -> list[str]:
    """bubblewrap's options for a worker: its world, built before the interpreter starts.

    bwrap writes the worker's host pid to ``info_fd`` (the worker is in its own session, out of
    reach of a kill of bwrap's process group).
    """
    scratch_size = str(config["disk_mb"] * 1024 * 1024)
    args = [
        config["bwrap"],
        "--info-fd",
        str(info_fd),
        "--unshare-user",
        "--unshare-pid",
        "--unshare-net",
        "--unshare-ipc",
        "--unshare-uts",
        "--unshare-cgroup-try",
        "--disable-userns",
        # bwrap and the worker die with the host, even one killed while bwrap is still starting.
        "--die-with-parent",
        "--as-pid-1",  # the worker is PID 1: kill(-1) ends every leftover of a call
        "--new-session",
        "--cap-drop",
        "ALL",
        "--clearenv",
        "--hostname",
        "sandbox",
        "--size",
        scratch_size,
        "--tmpfs",
        "/tmp",
    ]
    sources = worker_module.bind_sources()
    # Parents before children, so a bind inside another (or inside /tmp) goes on top.
    for source in sorted(sources, key=lambda path: path.count("/")):
        if os.path.islink(source):
            args += ["--symlink", os.readlink(source), source]
        else:
            args += ["--ro-bind", source, source]
    for path in worker_module.ETC_FILES:
        if os.path.isfile(path):
            args += ["--ro-bind", path, path]
    args += ["--dev", "/dev", "--size", scratch_size, "--tmpfs", "/dev/shm", "--proc", "/proc"]
    for path in worker_module.hidden_within(sources, config["hidden"]):
        if os.path.isdir(path):
            args += ["--tmpfs", path, "--remount-ro", path]
        else:
            args += ["--ro-bind", "/dev/null", path]
    return [*args, "--remount-ro", "/", "--chdir", "/tmp", "--"]


class _Worker:
    """One worker process and its pipes."""

    def __init__(self, config: dict[str, Any]) -> None:
        self.config = config
        command = [sys.executable, "-I", "-c", _worker_source(), json.dumps(config)]
        #: bwrap's report of the worker's host pid (read once the worker is ready).
        self.info: int | None = None
        self.sandbox_pid: int | None = None
        info_w = None
        if config["isolation"] == "bwrap":
            self.info, info_w = os.pipe()
            command = _bwrap_arguments(config, info_w) + command
        uid = config["uid"]
        # Root starts bwrap and rlimits workers under their own uid; the namespace level needs
        # root to build its root and drops to that uid itself.
        as_user = os.geteuid() == 0 and config["isolation"] != "namespace"
        # What the worker (or bwrap) says before it is ready explains a failed start.
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 (open as long as the worker)
        self.ready: dict[str, Any] | None = None
        try:
            self.process = (
                _spawner()
                .submit(
                    subprocess.Popen,
                    command,
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=self.log,
                    close_fds=True,
                    cwd="/",
                    env=_WORKER_ENV,  # none of the host's variables (tokens, keys) reach the code
                    start_new_session=True,  # its own process group, so close() can kill it whole
                    pass_fds=() if info_w is None else (info_w,),
                    **({"user": uid, "group": uid, "extra_groups": []} if as_user else {}),
                )
                .result()
            )
        except OSError as exc:
            self.process = None
            self.ready = {"ready": False, "error": f"the worker could not start: {exc}"}
        finally:
            if info_w is not None:
                os.close(info_w)

    def wait_ready(self) -> dict[str, Any]:
        if self.process is None:
            assert self.ready is not None
            return self.ready
        assert self.process.stdout is not None
        message = _read_frame(self.process.stdout.fileno(), time.monotonic() + _START_TIMEOUT)
        if message is None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=1)  # let it finish saying why
            self.log.seek(0)
            said = self.log.read()[-600:].decode("utf-8", "replace").strip()
            self.kill()
            message = {
                "ready": False,
                "error": f"the worker did not start ({said or 'no message'}); as root, "
                f"workers run as uid {self.config['uid']}, which must be able to read "
                f"{sys.executable} and its installation",
            }
        elif self.info is not None:
            # bwrap wrote its report before it started the worker, which has now answered.
            report = b""
            while b"}" not in report and select.select([self.info], [], [], 5)[0]:
                chunk = os.read(self.info, 4096)
                if not chunk:
                    break
                report += chunk
            with contextlib.suppress(ValueError):
                self.sandbox_pid = json.loads(report)["child-pid"]
        self.ready = message
        return message

    def call(self, request: dict[str, Any]) -> dict[str, Any] | None:
        assert self.process is not None
        assert self.process.stdin is not None and self.process.stdout is not None
        body = json.dumps(request).encode()
        try:
            self.process.stdin.write(struct.pack(">I", len(body)) + body)
            self.process.stdin.flush()
        except (BrokenPipeError, ValueError):
            return None
        deadline = time.monotonic() + request["timeout"] + _GRACE
        return _read_frame(self.process.stdout.fileno(), deadline)

    def hang_up(self) -> None:
        """Close the request pipe: the worker ends its call at once and exits."""
        with contextlib.suppress(OSError):
            if self.process is not None and self.process.stdin is not None:
                self.process.stdin.close()

    def kill(self, wait: float = 0.0) -> None:
        """Stop the worker: after ``wait`` seconds for a clean exit, kill its process group."""
        self.log.close()
        if self.info is not None:
            os.close(self.info)
            self.info = None
        if self.process is None:
            return
        self.hang_up()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=wait)
        if self.process.poll() is None:
            # While bwrap runs, the worker's pid is not reused: bwrap reaps it first.
            for pid in filter(None, (self.sandbox_pid,)):
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)  # PID 1 of its namespace: takes everything
            with contextlib.suppress(OSError):
                os.killpg(self.process.pid, signal.SIGKILL)
        with contextlib.suppress(OSError):
            if self.process.stdout is not None:
                self.process.stdout.close()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=5)
        workdir = (self.ready or {}).get("workdir")
        if workdir:  # an rlimits worker killed before it could remove its own
            shutil.rmtree(workdir, ignore_errors=True)


def _close_workers(workers: list[_Worker]) -> None:
    for worker in workers:
        worker.hang_up()
    for worker in workers:
        worker.kill(wait=1.0)


def _start(level: str, base: dict[str, Any], uid: int) -> tuple[_Worker, dict[str, Any]]:
    worker = _Worker({**base, "isolation": level, "uid": uid})
    return worker, worker.wait_ready()


def _level_config(level: str) -> dict[str, Any]:
    """What a level needs beyond the common settings; raises when it cannot work here."""
    if level == "bwrap":
        path = shutil.which("bwrap")
        if path is None:
            raise SandboxUnavailable("bubblewrap (bwrap) is not installed")
        return {"bwrap": path}
    return {}


def _uids(count: int) -> list[int]:
    """The uids the workers run under: fresh unprivileged ones when started as root."""
    if os.geteuid() != 0:
        return [os.getuid()] * count
    base = _UID_BASE + secrets.randbelow(500_000) * 1024  # stays below 2**31
    return [base + index for index in range(count)]


def _probe_auto(base: dict[str, Any]) -> str:
    """The first safe level a worker can set up here (probed once per process)."""
    global _auto_level
    with _auto_lock:
        if _auto_level is None:
            reasons = []
            for level in SAFE_LEVELS:
                try:
                    extra = _level_config(level)
                except SandboxUnavailable as exc:
                    reasons.append(f"{level}: {exc}")
                    continue
                worker, ready = _start(level, {**base, **extra}, _uids(1)[0])
                worker.kill()
                if ready.get("ready"):
                    _auto_level = level
                    break
                reasons.append(f"{level}: {ready.get('error')}")
            else:
                raise SandboxUnavailable(
                    "no safe isolation level works here ("
                    + "; ".join(reasons)
                    + f"). To fix it, {_HOW_TO_FIX}. Running model-written code without "
                    "isolation needs isolation='rlimits' with allow_unsafe_rlimits=True."
                )
        return _auto_level


class PythonSandbox:
    """A pool of warm, isolated Python workers.

    Args:
        isolation: ``"auto"`` (the first safe level available), ``"bwrap"``, ``"namespace"`` or
            ``"rlimits"``. A named level that cannot be set up raises :class:`SandboxUnavailable`.
        timeout: Default wall-clock limit per call, seconds (CPU time is capped just above it).
        memory_mb: Address-space cap of the code's process, MiB.
        max_output: Cap on stdout and stderr together, bytes; output beyond it stops the run
            (``error="output_truncated"``) and is never held in memory.
        workers: Worker processes, i.e. calls that can run at once (default: 4 per CPU, at
            most 32; each is a small idle interpreter between calls).
        max_processes: Processes the code may have at once (``RLIMIT_NPROC``).
        disk_mb: Size of ``/tmp`` and of ``/dev/shm``, and cap on any file the code writes.
        preload: Modules every worker imports once at start (e.g. ``("numpy", "sympy")``), so
            code importing them pays nothing; missing modules are skipped.
        hidden_paths: Files or directories the code must not see even where they lie inside the
            interpreter's installation (this package, with its data, is always hidden).
        allow_unsafe_rlimits: Required for ``isolation="rlimits"``, which does not confine the
            code's view of the host (files, network, ``/tmp``) nor every process it starts.

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
        hidden_paths: Sequence[str] = (),
        allow_unsafe_rlimits: bool = False,
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
        if isolation == "rlimits":
            if not allow_unsafe_rlimits:
                raise SandboxUnavailable(
                    "isolation='rlimits' does not contain model-written code (host files, the "
                    "network and /tmp stay reachable); pass allow_unsafe_rlimits=True to run it "
                    f"anyway, or use a safe level: {_HOW_TO_FIX}"
                )
            warnings.warn(
                "PythonSandbox(isolation='rlimits'): model-written code can read host files, "
                "use the network and leave processes behind; never train on it unattended",
                RuntimeWarning,
                stacklevel=2,
            )
        self.timeout = float(timeout)
        self.memory_mb = memory_mb
        self.max_output = max_output
        base = {
            "max_processes": max_processes,
            "disk_mb": disk_mb,
            "preload": list(preload),
            "hidden": [str(_PACKAGE_DIR), *map(str, hidden_paths)],
        }
        self.isolation: str = _probe_auto(base) if isolation == "auto" else isolation
        base.update(_level_config(self.isolation))
        self._configs = [
            {**base, "isolation": self.isolation, "uid": uid} for uid in _uids(workers)
        ]
        self._workers = [_Worker(config) for config in self._configs]
        self._finalizer = weakref.finalize(self, _close_workers, self._workers)
        for worker in self._workers:
            ready = worker.wait_ready()
            if not ready.get("ready"):
                self.close()
                raise SandboxUnavailable(
                    f"isolation level {self.isolation!r} is not available here: "
                    f"{ready.get('error')}. To fix it, {_HOW_TO_FIX}."
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
            if answer is None or answer.pop("retire", False):
                # The worker died, stopped answering or could not clean up after the code:
                # replace it (a failed answer reports the run as failed).
                self._workers[index].kill(wait=1.0)
                self._workers[index] = _Worker(self._configs[index])
                self._workers[index].wait_ready()
            if answer is None:
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
