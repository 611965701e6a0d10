"""``ProcessVectorEnv``: Gymnasium's AsyncVectorEnv with the project's error contract.

Gymnasium's :class:`~gymnasium.vector.AsyncVectorEnv` shuts a worker down when its env raises,
re-raises a bare copy of the exception (no index, no id) and leaves the vector env unusable: the
dead worker's pipe is gone, so every later call fails. A wait that times out leaves the replies it
did not read in the pipes, where the next call misreads them. This subclass keeps Gymnasium's
processes, shared memory and autoreset semantics and adds what the sync and thread modes promise:

* an exception inside a sub-env surfaces as :class:`~gem_gymnasium.vector.errors.SubEnvError`
  naming its index and id (the worker's exception is the ``__cause__``); a wait that times out
  raises :class:`~gem_gymnasium.vector.errors.SubEnvTimeoutError` naming the late sub-env;
* afterwards ``step()`` raises :class:`~gymnasium.error.ResetNeeded`, and a full ``reset()``
  drains stale replies, restarts dead or stuck workers and brings the vector env back.
"""

from __future__ import annotations

import contextlib
import multiprocessing
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import gymnasium as gym
from gymnasium.error import ResetNeeded
from gymnasium.vector import AsyncVectorEnv
from gymnasium.vector.async_vector_env import AsyncState, _async_worker
from gymnasium.vector.utils import (
    CloudpickleWrapper,
    clear_mpi_env_vars,
    create_shared_memory,
    read_from_shared_memory,
)

from gem_gymnasium.vector.errors import SubEnvError, SubEnvTimeoutError

__all__ = ["ProcessVectorEnv"]

#: How long an idle worker may take to close its env and exit when told to stop.
_EXIT_GRACE_S = 5.0


class _WorkerLost(Exception):
    """A worker's pipe broke: the process died without reporting an error."""

    def __init__(self, index: int) -> None:
        super().__init__(index)
        self.index = index


class _Pipe:
    """A parent pipe end that counts the replies its worker still owes (stale after a failure)."""

    __slots__ = ("connection", "index", "owed")

    def __init__(self, connection: Any, index: int) -> None:
        self.connection = connection
        self.index = index
        self.owed = 0

    def send(self, message: Any) -> None:
        try:
            self.connection.send(message)
        except OSError as exc:
            raise _WorkerLost(self.index) from exc
        self.owed += 1

    def recv(self) -> Any:
        try:
            reply = self.connection.recv()
        except (EOFError, OSError) as exc:
            raise _WorkerLost(self.index) from exc
        self.owed -= 1
        return reply

    def poll(self, timeout: float = 0.0) -> bool:
        try:
            return self.connection.poll(timeout)
        except (EOFError, OSError):
            return True  # the next recv reports the loss

    @property
    def closed(self) -> bool:
        return self.connection.closed

    def close(self) -> None:
        self.connection.close()


class ProcessVectorEnv(AsyncVectorEnv):
    """Sub-envs in worker processes, as in Gymnasium, with errors that name the sub-env.

    Args:
        env_fns: Functions that each create one sub-env (picklable, as Gymnasium requires).
        env_ids: Names of the sub-envs for error messages (default: ``env_fns[i]``).
        context: The multiprocessing start method (Gymnasium's ``context``).
        daemon: Whether the workers are daemon processes.
        **kwargs: Gymnasium's other ``AsyncVectorEnv`` arguments (``shared_memory``, ``copy``,
            ``autoreset_mode``, ...).
    """

    def __init__(
        self,
        env_fns: Sequence[Callable[[], gym.Env]],
        *,
        env_ids: Sequence[str] | None = None,
        context: str | None = None,
        daemon: bool = True,
        worker: Callable[..., None] | None = None,
        max_concurrency: int | None = None,
        **kwargs: Any,
    ) -> None:
        if env_ids is not None and len(env_ids) != len(env_fns):
            raise ValueError(f"got {len(env_ids)} env_ids for {len(env_fns)} env_fns")
        self.env_ids: tuple[str, ...] = (
            tuple(env_ids)
            if env_ids is not None
            else tuple(f"env_fns[{i}]" for i in range(len(env_fns)))
        )
        # Kept to start fresh workers: Gymnasium keeps no handle on the buffers it gave its own.
        self._context, self._daemon = context, daemon
        self._worker, self._max_concurrency = worker, max_concurrency
        super().__init__(
            env_fns,
            context=context,
            daemon=daemon,
            worker=worker,
            max_concurrency=max_concurrency,
            **kwargs,
        )
        self.parent_pipes = [_Pipe(pipe, i) for i, pipe in enumerate(self.parent_pipes)]
        self._needs_reset = True  # until the first reset, and after a failure or timeout

    # --- the vector API: checks before Gymnasium's calls ------------------------------------------

    def reset_async(
        self, seed: int | list[int | None] | None = None, options: dict[str, Any] | None = None
    ) -> None:
        self._assert_is_running()
        options = None if options is None else dict(options)  # Gymnasium pops reset_mask
        if self._needs_reset:
            if options is not None and "reset_mask" in options:
                raise ResetNeeded(
                    "a full reset() (without reset_mask) is needed first: "
                    "the vector env was never reset or a sub-env failed"
                )
            self._recover()
        self._guard("reset", super().reset_async, seed=seed, options=options)

    def reset_wait(self, timeout: float | None = None) -> tuple[Any, dict[str, Any]]:
        result = self._guard("reset", super().reset_wait, timeout)
        self._needs_reset = False
        return result

    def step_async(self, actions: Any) -> None:
        self._assert_is_running()
        if self._needs_reset:
            raise ResetNeeded(
                "call reset() before step(): the vector env was never reset or a sub-env failed"
            )
        self._guard("step", super().step_async, actions)

    def step_wait(self, timeout: float | None = None) -> Any:
        return self._guard("step", super().step_wait, timeout)

    def call_async(self, name: str, /, *args: object, **kwargs: object) -> None:
        self._require_workers("call")
        self._guard("call", super().call_async, name, *args, **kwargs)

    def call_wait(self, timeout: float | None = None) -> tuple[Any, ...]:
        return self._guard("call", super().call_wait, timeout)

    def set_attr(self, name: str, values: Any) -> None:
        self._require_workers("set_attr")
        self._guard("set_attr", super().set_attr, name, values)

    def close_extras(self, timeout: float | None = None, terminate: bool = False) -> None:
        # Gymnasium would read a stale reply as the close acknowledgement, or wait forever on a
        # stuck worker: drop those first.
        self._state = AsyncState.DEFAULT
        if not self._drain_stale():
            self._stop_workers()
        super().close_extras(timeout=timeout, terminate=terminate)

    def __repr__(self) -> str:
        ids = sorted(set(self.env_ids))
        shown = ids[0] if len(ids) == 1 else f"{len(ids)} ids"
        return f"{type(self).__name__}({shown}, num_envs={self.num_envs})"

    # --- failures ----------------------------------------------------------------------------------

    def _guard(self, operation: str, call: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Run one of Gymnasium's calls, turning a timeout or a lost worker into a SubEnvError."""
        try:
            return call(*args, **kwargs)
        except multiprocessing.TimeoutError as exc:
            self._state = AsyncState.DEFAULT
            self._needs_reset = True
            owing = [
                i for i, pipe in enumerate(self.parent_pipes) if pipe is not None and pipe.owed
            ]
            late = [i for i in owing if not self.parent_pipes[i].poll(0)] or owing or [0]
            raise SubEnvTimeoutError.first_of(
                late,
                self.env_ids,
                operation,
                args[0] if args else None,
                "reset() restarts the stuck worker",
            ) from exc
        except _WorkerLost as lost:
            self._state = AsyncState.DEFAULT
            self._needs_reset = True
            index = lost.index
            process = self.processes[index]
            process.join(_EXIT_GRACE_S)
            self._close_pipe(index)
            raise SubEnvError(
                index,
                self.env_ids[index],
                operation,
                f"its worker process died (exit code {process.exitcode}); reset() restarts it",
            ) from lost.__cause__

    def _raise_if_errors(self, successes: Iterable[bool]) -> None:
        """Gymnasium's hook for errors reported by workers: name the first failing sub-env."""
        successes = list(successes)
        if all(successes):
            return
        operation = "call" if self._state is AsyncState.DEFAULT else self._state.value
        failures: dict[int, tuple[type[BaseException], Any, str]] = {}
        for _ in range(successes.count(False)):
            index, error_type, error, trace = self.error_queue.get()
            failures[index] = (error_type, error, trace)
            self._close_pipe(index)  # Gymnasium's worker exits after reporting
        self._state = AsyncState.DEFAULT
        self._needs_reset = True
        index = min(failures)
        error_type, error, trace = failures[index]
        cause = error if isinstance(error, BaseException) else error_type(error)
        if hasattr(cause, "add_note"):  # Python 3.11+: keep where it failed in the worker
            cause.add_note(f"Traceback in the worker process:\n{trace}")
        raise SubEnvError(
            index, self.env_ids[index], operation, f"{error_type.__name__}: {error}"
        ) from cause

    def _close_pipe(self, index: int) -> None:
        pipe = self.parent_pipes[index]
        if pipe is not None:
            pipe.close()
            self.parent_pipes[index] = None

    def _require_workers(self, operation: str) -> None:
        self._assert_is_running()
        for index, pipe in enumerate(self.parent_pipes):
            if pipe is None or pipe.owed:
                raise ResetNeeded(
                    f"cannot {operation}: sub-env {index} ({self.env_ids[index]}) failed or timed "
                    "out; reset() restarts its worker"
                )

    # --- recovery ------------------------------------------------------------------------------------

    def _recover(self) -> None:
        """Drain stale replies; if a worker is dead or stuck, start a fresh set of workers."""
        if not self._drain_stale():
            self._stop_workers()
            self._start_workers()

    def _drain_stale(self) -> bool:
        """Read the replies workers still owe; whether every worker is alive and idle after."""
        healthy = True
        for pipe in self.parent_pipes:
            if pipe is None:
                healthy = False
                continue
            try:
                while pipe.owed and pipe.poll(0):
                    _, success = pipe.recv()
                    healthy = healthy and success  # a worker that reported an error exits
            except _WorkerLost:
                healthy = False
            healthy = healthy and not pipe.owed
        return healthy and all(process.is_alive() for process in self.processes)

    def _stop_workers(self) -> None:
        """Close idle workers' envs in order; terminate the dead, failed and stuck ones."""
        idle = [p for p in self.parent_pipes if p is not None and not p.owed and not p.closed]
        for pipe in idle:
            with contextlib.suppress(_WorkerLost):
                pipe.send(("close", None))
        for pipe in idle:
            with contextlib.suppress(_WorkerLost):
                if pipe.poll(_EXIT_GRACE_S):
                    pipe.recv()
        for index, process in enumerate(self.processes):
            process.join(_EXIT_GRACE_S if self.parent_pipes[index] in idle else 0)
            if process.is_alive():
                process.terminate()
                process.join()
            pipe = self.parent_pipes[index]
            if pipe is not None:
                pipe.close()
                self.parent_pipes[index] = None
        self.error_queue.close()  # errors of calls nobody waits for any more
        self.error_queue.cancel_join_thread()

    def _start_workers(self) -> None:
        """Start a worker per sub-env, as Gymnasium's constructor does, with fresh buffers."""
        ctx = multiprocessing.get_context(self._context)
        space, n = self.single_observation_space, self.num_envs
        buffer = None
        if self.shared_memory:
            buffer = create_shared_memory(space, n=n, ctx=ctx)
            self.observations = read_from_shared_memory(space, buffer, n=n)
        self.error_queue = ctx.Queue()
        semaphore = (
            None if self._max_concurrency is None else ctx.BoundedSemaphore(self._max_concurrency)
        )
        self.parent_pipes, self.processes = [], []
        with clear_mpi_env_vars():
            for index, env_fn in enumerate(self.env_fns):
                parent_pipe, child_pipe = ctx.Pipe()
                process = ctx.Process(
                    target=self._worker or _async_worker,
                    name=f"Worker<{type(self).__name__}>-{index}",
                    args=(
                        index,
                        CloudpickleWrapper(env_fn),
                        child_pipe,
                        parent_pipe,
                        buffer,
                        self.error_queue,
                        self.autoreset_mode,
                        semaphore,
                    ),
                    daemon=self._daemon,
                )
                process.start()
                child_pipe.close()
                self.parent_pipes.append(_Pipe(parent_pipe, index))
                self.processes.append(process)
