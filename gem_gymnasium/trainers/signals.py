"""Stop a training run cleanly on Ctrl-C or SIGTERM.

The first signal asks the run to finish its current iteration, save a checkpoint and the learning
curve, and stop; a second one exits at once (no traceback, nothing more saved).
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from types import FrameType, TracebackType

__all__ = ["GracefulStop"]

_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class GracefulStop:
    """A context manager that turns the first SIGINT/SIGTERM into a request to stop.

    ``requested`` says whether one arrived; ``exit_code`` is the shell's code for it
    (130 for Ctrl-C, 143 for SIGTERM). Outside the main thread it installs nothing.
    """

    def __init__(self) -> None:
        self.signum: int | None = None
        self._previous: dict[int, object] = {}

    @property
    def requested(self) -> bool:
        return self.signum is not None

    @property
    def exit_code(self) -> int:
        return 128 + (self.signum or 0)

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        del frame
        if self.signum is not None:
            sys.stderr.write("\nsecond interrupt: exiting now, without saving\n")
            sys.stderr.flush()
            os._exit(128 + signum)
        self.signum = signum
        sys.stderr.write(
            f"\n{signal.Signals(signum).name}: finishing this iteration, then saving a checkpoint "
            "(press Ctrl-C again to quit at once)\n"
        )
        sys.stderr.flush()

    def __enter__(self) -> GracefulStop:
        if threading.current_thread() is threading.main_thread():
            for signum in _SIGNALS:
                self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)  # type: ignore[arg-type]
        self._previous.clear()
