"""Errors raised by the project's vector envs, naming the sub-env that failed."""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["SubEnvError", "SubEnvTimeoutError"]


class SubEnvError(RuntimeError):
    """A sub-env raised while the vector env ran ``operation`` on it.

    The original exception is chained as ``__cause__``. After a failed ``reset`` or ``step`` the
    vector env needs a full ``reset()`` before the next ``step()``.

    Attributes:
        index: Position of the sub-env in the vector env.
        env_id: Its environment id (or a description when it has none).
        operation: ``"make"``, ``"reset"``, ``"step"``, ``"call"``, ``"render"``, ...
    """

    def __init__(self, index: int, env_id: str, operation: str, message: str) -> None:
        super().__init__(f"sub-env {index} ({env_id}) failed in {operation}: {message}")
        self.index = index
        self.env_id = env_id
        self.operation = operation

    def __reduce__(self) -> tuple[object, ...]:
        # Exceptions pickle their args only; keep the structured fields (e.g. across processes).
        message = str(self).split(": ", 1)[1]
        return (type(self), (self.index, self.env_id, self.operation, message))


class SubEnvTimeoutError(SubEnvError):
    """A sub-env did not finish ``operation`` within the vector env's ``timeout``."""

    @classmethod
    def first_of(
        cls,
        late: Sequence[int],
        env_ids: Sequence[str],
        operation: str,
        timeout: float | None,
        remedy: str,
    ) -> SubEnvTimeoutError:
        """The error for the first late sub-env of ``late``, naming the others in its message."""
        others = f" (and sub-envs {list(late[1:])})" if len(late) > 1 else ""
        return cls(
            late[0],
            env_ids[late[0]],
            operation,
            f"no result within timeout={timeout} s{others}; {remedy}",
        )
