"""Run grading functions in reusable worker processes under a hard time limit.

Graders parse what the agent wrote (math-verify turns ``\\boxed{9^{9^{9^9}}}`` into a SymPy power,
reasoning-gym scorers call ``eval`` or SymPy). Some inputs make them run for hours inside one C
call, where no signal or thread can stop them, so each grade runs in a separate process that is
killed when it overruns. Processes are started lazily, reused across calls (the imports are paid
once), and replaced after a kill or a crash. A call may name a *setup* step (importing
math-verify, building a dataset) that runs first and is not counted against the time limit, so a
cold worker on a busy machine does not turn a correct answer into a timeout.

A hard limit kills the worker, and the next grade pays for a new one (its imports). So graders
also time themselves with :func:`time_budget`, a sub-second CPU-time timer in the worker: a grade
that overruns it (SymPy chewing on ``\\sum_{i=1}^{10^{100}} i``) is abandoned and the worker
stays warm; only what no timer can interrupt (one long C call) reaches the hard limit.

Workers are plain ``subprocess`` children speaking pickled messages over their stdin/stdout, not
:mod:`multiprocessing` children: a daemonic process (an ``AsyncVectorEnv`` worker) may not start
``multiprocessing`` children, and no ``fork`` of a threaded parent is involved.

>>> pool = GradingPool(max_workers=1)
>>> pool.call(pow, 2, 10, timeout=30.0)
1024
>>> pool.close()
"""

from __future__ import annotations

import atexit
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

__all__ = [
    "GRADE_BUDGET_S",
    "GradeTimeout",
    "GradingError",
    "GradingPool",
    "OverBudget",
    "shared_pool",
    "time_budget",
]

#: Address-space limit of a worker, so a grade that builds a gigantic number fails fast.
DEFAULT_MEMORY_MB = 4096
#: Seconds a worker may take to start and run a call's setup step (imports) before it is dropped.
SETUP_TIMEOUT = 120.0

#: CPU seconds a grader may spend on one answer, timed inside its worker (:func:`time_budget`):
#: a step must stay under half a second whatever the agent wrote, while honest answers take at
#: most 40 ms of CPU to grade once the worker is warm (the shipped math sample, in three forms).
GRADE_BUDGET_S = 0.2

Setup = tuple[Callable[..., Any], tuple[Any, ...]]


class OverBudget(BaseException):
    """Raised by :func:`time_budget`; a BaseException so that graders' handlers let it through."""


@contextmanager
def time_budget(seconds: float | None) -> Iterator[None]:
    """Raise :class:`OverBudget` in this thread once it has used ``seconds`` of CPU time.

    CPU time, not wall-clock time, so that a verdict does not depend on how busy the machine is
    (an honest grade that takes 40 ms of CPU is not cut off because other processes delay it);
    on an idle machine the two coincide. Uses ``SIGPROF`` with sub-second resolution, so it must
    run in the main thread (a grading worker's). It fires once: a grader that swallows it is left
    to the pool's hard limit. ``None`` sets no timer.
    """
    if seconds is None:
        yield
        return
    armed = True

    def expire(signum: int, frame: object) -> None:
        nonlocal armed
        if armed:
            armed = False
            raise OverBudget

    previous = signal.signal(signal.SIGPROF, expire)
    signal.setitimer(signal.ITIMER_PROF, seconds)
    try:
        yield
    finally:
        armed = False
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGPROF, previous)


class GradeTimeout(Exception):
    """A call ran past its time limit; its worker was killed."""


class GradingError(Exception):
    """The graded function raised, or its worker died."""


class _WorkerDied(GradingError):
    pass


class _Worker:
    """One child interpreter running :func:`_serve`."""

    def __init__(self, memory_mb: int) -> None:
        env = dict(os.environ)
        # The child imports this package by name; make that work from a source checkout too.
        package_root = str(Path(__file__).resolve().parents[3])
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_root, env.get("PYTHONPATH")]))
        self.process = subprocess.Popen(
            [sys.executable, "-m", __name__, str(memory_mb)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
            close_fds=True,
        )
        assert self.process.stdin is not None and self.process.stdout is not None
        self.requests = Connection(os.dup(self.process.stdin.fileno()), readable=False)
        self.replies = Connection(os.dup(self.process.stdout.fileno()), writable=False)
        self.process.stdin.close()
        self.process.stdout.close()

    def call(
        self, fn: Callable[..., Any], args: tuple[Any, ...], timeout: float, setup: Setup | None
    ) -> Any:
        try:
            self.requests.send((setup, fn, args))
            # First the acknowledgement that setup is done (untimed but bounded), then the result.
            if not self.replies.poll(SETUP_TIMEOUT):
                raise _WorkerDied(f"grading worker did not get ready in {SETUP_TIMEOUT:g} s")
            status, value = self.replies.recv()
            if status == "ready":
                if not self.replies.poll(timeout):
                    raise GradeTimeout(f"{getattr(fn, '__name__', fn)} ran past {timeout:g} s")
                status, value = self.replies.recv()
        except (OSError, EOFError) as error:
            raise _WorkerDied(f"grading worker died: {error!r}") from error
        if status != "ok":
            raise GradingError(value)
        return value

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        self.requests.close()
        self.replies.close()


class GradingPool:
    """A thread-safe pool of up to ``max_workers`` grading processes.

    Args:
        max_workers: Most processes alive at once; callers beyond that wait for a free one.
        memory_mb: Address-space limit of each worker (0 for none).
    """

    def __init__(self, max_workers: int | None = None, memory_mb: int = DEFAULT_MEMORY_MB) -> None:
        self.max_workers = max_workers or max(1, min(4, os.cpu_count() or 1))
        self.memory_mb = memory_mb
        self._idle: list[_Worker] = []
        self._alive = 0
        self._closed = False
        self._cond = threading.Condition()

    def call(
        self, fn: Callable[..., Any], *args: Any, timeout: float, setup: Setup | None = None
    ) -> Any:
        """``fn(*args)`` in a worker; ``fn`` and the arguments must pickle (by reference for ``fn``).

        ``setup`` is ``(function, args)`` run first in the worker, outside the time limit (keep it
        idempotent and cached: it runs before every call).

        Raises:
            GradeTimeout: ``fn`` ran past ``timeout`` seconds (the worker is killed and replaced).
            GradingError: ``fn`` raised (message and type in the text), or the worker died.
        """
        worker = self._checkout()
        try:
            value = worker.call(fn, args, timeout, setup)
        except (GradeTimeout, _WorkerDied):
            worker.kill()
            self._checkin(None)
            raise
        except BaseException:
            self._checkin(worker)
            raise
        self._checkin(worker)
        return value

    def close(self) -> None:
        """Stop every idle worker; safe to call more than once."""
        with self._cond:
            self._closed = True
            idle, self._idle = self._idle, []
            self._alive -= len(idle)
            self._cond.notify_all()
        for worker in idle:
            worker.kill()

    def _checkout(self) -> _Worker:
        with self._cond:
            while True:
                if self._closed:
                    raise RuntimeError("GradingPool is closed")
                if self._idle:
                    return self._idle.pop()
                if self._alive < self.max_workers:
                    self._alive += 1
                    break
                self._cond.wait()
        try:
            return _Worker(self.memory_mb)
        except BaseException:
            self._checkin(None)
            raise

    def _checkin(self, worker: _Worker | None) -> None:
        with self._cond:
            if worker is None:
                self._alive -= 1
            elif self._closed:
                self._alive -= 1
                worker.kill()
            else:
                self._idle.append(worker)
            self._cond.notify()


_shared: GradingPool | None = None
_shared_pid = 0
_shared_lock = threading.Lock()


def shared_pool() -> GradingPool:
    """The process-wide pool every task env uses (a forked child gets its own)."""
    global _shared, _shared_pid
    with _shared_lock:
        if _shared is None or _shared_pid != os.getpid():
            _shared, _shared_pid = GradingPool(), os.getpid()
        return _shared


@atexit.register
def _close_shared() -> None:
    if _shared is not None and _shared_pid == os.getpid():
        _shared.close()


# --- the worker side ----------------------------------------------------------------------------


def _serve(memory_mb: int) -> None:
    """Serve ``(setup, fn, args)`` requests from stdin until it closes.

    Replies: ``("ready", None)`` once setup is done, then ``("ok", result)`` or ``("error", text)``
    (an error in setup or in reading the request is the only reply).
    """
    replies = Connection(os.dup(1), readable=False)
    os.dup2(2, 1)  # stray prints of a grader must not corrupt the reply stream
    if memory_mb > 0:
        import resource

        limit = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    requests = Connection(0, writable=False)
    while True:
        try:
            setup, fn, args = requests.recv()
            if setup is not None:
                setup[0](*setup[1])
        except EOFError:
            return
        except BaseException as error:  # a module that cannot be imported here, a failed setup
            replies.send(("error", f"setup failed: {type(error).__name__}: {error}"[:2000]))
            continue
        replies.send(("ready", None))
        try:
            reply: tuple[str, Any] = ("ok", fn(*args))
        except BaseException as error:  # MemoryError, RecursionError, anything the grader raises
            reply = ("error", f"{type(error).__name__}: {error}"[:2000])
        try:
            replies.send(reply)
        except Exception as error:
            replies.send(("error", f"unpicklable result: {type(error).__name__}: {error}"))


if __name__ == "__main__":
    _serve(int(sys.argv[1]) if len(sys.argv) > 1 else 0)
