"""``ThreadVectorEnv``: sub-envs stepped concurrently on threads, for I/O-bound environments.

Tool calls, sandboxes, HTTP and MCP servers spend their step waiting, not computing, so threads
overlap them without the start-up, pickling and shared-memory costs of Gymnasium's process-based
:class:`~gymnasium.vector.AsyncVectorEnv`. CPU-bound games gain nothing from threads (the GIL):
use the sync or async mode for those.

Each sub-env lives on its own daemon thread for its whole life (created, stepped and closed
there), so thread-affine resources such as an event loop or a database connection stay valid.
The API and semantics are :class:`~gem_gymnasium.vector.sync.TextSyncVectorEnv`'s; in addition
``timeout`` bounds how long any sub-env's ``reset``/``step`` (or ``call``) may take. A sub-env
that overruns raises :class:`~gem_gymnasium.vector.errors.SubEnvTimeoutError`; its thread cannot
be killed (no thread can be, in Python), so it is abandoned: it closes its env and exits as soon
as the stuck call returns, and the next ``reset()`` builds a fresh sub-env on a fresh thread.
"""

from __future__ import annotations

import contextlib
import itertools
import queue
import threading
from collections.abc import Callable, Sequence
from typing import Any

import gymnasium as gym
from gymnasium.vector import AutoresetMode

from gem_gymnasium.vector.errors import SubEnvTimeoutError
from gem_gymnasium.vector.sync import StepResult, TextSyncVectorEnv, _step_env

__all__ = ["ThreadVectorEnv"]

_STOP = object()
_instance_ids = itertools.count()


class _Batch:
    """Completion of a batch of jobs: the last one to finish sets ``event``."""

    __slots__ = ("event", "finished", "size")

    def __init__(self, size: int) -> None:
        self.size = size
        self.finished = itertools.count(1)  # next() is atomic: no lock needed
        self.event = threading.Event()

    def job_done(self) -> None:
        if next(self.finished) == self.size:
            self.event.set()


class _Job:
    """One call on a worker; lighter than a Future (no lock per job)."""

    __slots__ = ("args", "batch", "done", "error", "fn", "result")

    def __init__(self, fn: Callable[..., Any], args: tuple, batch: _Batch) -> None:
        self.fn, self.args, self.batch = fn, args, batch
        self.result: Any = None
        self.error: BaseException | None = None
        self.done = False


class _Worker:
    """A daemon thread that runs submitted jobs one at a time, in order."""

    def __init__(self, name: str) -> None:
        self.jobs: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self.env: gym.Env | None = None
        self.thread = threading.Thread(target=self._loop, name=name, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        """Close the env (on this thread) and exit after the jobs already queued."""
        self.jobs.put(_STOP)

    def _loop(self) -> None:
        while True:
            job = self.jobs.get()
            if job is _STOP:
                break
            try:
                job.result = job.fn(*job.args)
            except BaseException as exc:
                job.error = exc
            job.done = True
            job.batch.job_done()
        if self.env is not None:
            # Nobody is left to report a failure to: the env is being discarded.
            with contextlib.suppress(Exception):
                self.env.close()
            self.env = None


def _dispatch(
    calls: list[tuple[_Worker, Callable[..., Any], tuple]], timeout: float | None
) -> tuple[list[_Job], bool]:
    """Run ``fn(*args)`` on each worker; the jobs, and whether all finished within ``timeout``."""
    batch = _Batch(len(calls))
    jobs = [_Job(fn, args, batch) for _, fn, args in calls]
    for (worker, _, _), job in zip(calls, jobs, strict=True):
        worker.jobs.put(job)
    return jobs, not jobs or batch.event.wait(timeout)


def _make_on_worker(worker: _Worker, env_fn: Callable[[], gym.Env]) -> gym.Env:
    worker.env = env_fn()
    return worker.env


class ThreadVectorEnv(TextSyncVectorEnv):
    """Runs every sub-env on its own thread so that their steps overlap.

    Example:
        >>> import gem_gymnasium
        >>> envs = gem_gymnasium.make_vec(
        ...     "gem/GuessTheNumber-v0", 4, vectorization_mode="thread", seed=0, timeout=30.0)
        >>> obs, infos = envs.reset()
        >>> len(obs), envs.timeout
        (4, 30.0)
        >>> envs.close()

    Args:
        env_fns: Functions that each create one sub-env (called on the sub-env's thread).
        autoreset_mode: As for :class:`~gem_gymnasium.vector.sync.TextSyncVectorEnv` (SameStep).
        env_ids: Names of the sub-envs for error messages.
        timeout: Seconds that any sub-env's ``reset``, ``step``, ``call`` or ``render`` may take
            (``None``: no limit). Creating and closing sub-envs is not limited.
    """

    def __init__(
        self,
        env_fns: Sequence[Callable[[], gym.Env]],
        *,
        autoreset_mode: str | AutoresetMode = AutoresetMode.SAME_STEP,
        env_ids: Sequence[str] | None = None,
        timeout: float | None = None,
    ) -> None:
        if timeout is not None and not timeout > 0:
            raise ValueError(f"timeout must be a positive number of seconds or None, got {timeout}")
        self.timeout = None if timeout is None else float(timeout)
        self._name = f"gem-vector-{next(_instance_ids)}"
        self._workers: list[_Worker] = []
        self._abandoned: set[int] = set()
        super().__init__(env_fns, autoreset_mode=autoreset_mode, env_ids=env_ids)

    def _create_envs(self) -> list[gym.Env]:
        self._workers = [_Worker(f"{self._name}-{i}") for i in range(len(self.env_fns))]
        jobs, _ = _dispatch(
            [
                (w, _make_on_worker, (w, fn))
                for w, fn in zip(self._workers, self.env_fns, strict=True)
            ],
            None,
        )
        for index, job in enumerate(jobs):
            if job.error is not None:
                self._stop_workers()
                raise self._error("make", index, job.error) from job.error
        return [job.result for job in jobs]

    def _run(
        self, operation: str, fn: Callable[..., Any], indices: Sequence[int], args: Sequence[tuple]
    ) -> list[Any]:
        workers, envs = self._workers, self.envs
        jobs, in_time = _dispatch(
            [(workers[i], fn, (envs[i], *a)) for i, a in zip(indices, args, strict=True)],
            self.timeout,
        )
        if not in_time:
            late = [i for i, job in zip(indices, jobs, strict=True) if not job.done]
            for index in late:
                self._abandon(index)
            if operation in ("reset", "step"):
                self._needs_reset = True
            raise SubEnvTimeoutError.first_of(
                late, self.env_ids, operation, self.timeout, "reset() replaces the stuck sub-env"
            )
        for index, job in zip(indices, jobs, strict=True):
            if job.error is not None:
                raise self._error(operation, index, job.error) from job.error
        return [job.result for job in jobs]

    def _step_all(self, indices: Sequence[int], actions: Sequence[Any]) -> list[StepResult | None]:
        mode, autoreset = self.autoreset_mode, self._autoreset
        return self._run(
            "step", _step_env, indices, [(actions[i], mode, autoreset[i]) for i in indices]
        )

    def reset(
        self,
        *,
        seed: int | Sequence[int | None] | None = None,
        options: dict[str, Any] | None = None,
    ) -> tuple[Any, dict[str, Any]]:
        """As :meth:`TextSyncVectorEnv.reset`; first rebuilds sub-envs abandoned after a timeout."""
        self._check_open()
        if self._abandoned and not (options and "reset_mask" in options):
            self._replace_abandoned()
        return super().reset(seed=seed, options=options)

    def close_extras(self, **kwargs: Any) -> None:
        """Close every sub-env on its thread and join the threads (abandoned ones exit alone)."""
        self._stop_workers()

    def __del__(self) -> None:
        if not getattr(self, "closed", True) and getattr(self, "_workers", None):
            self._stop_workers(join=False)

    # --- helpers ---------------------------------------------------------------------------------

    def _abandon(self, index: int) -> None:
        worker = self._workers[index]
        worker.stop()  # runs after the stuck call: closes its env, ends the thread
        self._abandoned.add(index)

    def _replace_abandoned(self) -> None:
        for index in sorted(self._abandoned):
            worker = _Worker(f"{self._name}-{index}")
            # Making a sub-env has no timeout.
            (job,), _ = _dispatch([(worker, _make_on_worker, (worker, self.env_fns[index]))], None)
            if job.error is not None:
                worker.stop()
                raise self._error("make", index, job.error) from job.error
            self._workers[index] = worker
            self.envs[index] = job.result
            self._abandoned.discard(index)

    def _stop_workers(self, join: bool = True) -> None:
        for worker in self._workers:
            worker.stop()
        if join:
            for index, worker in enumerate(self._workers):
                if index not in self._abandoned:
                    worker.thread.join()
        self._workers = []
