"""Signals as values: SIGINT/SIGTERM are recorded while a command waits, then acted upon."""

from __future__ import annotations

import signal
import threading
from types import FrameType, TracebackType
from typing import Any

INTERRUPTS = (signal.SIGINT, signal.SIGTERM)


class Signals:
    """While active (a context manager), records each delivery of ``signums`` instead of the
    default action (KeyboardInterrupt, termination); the previous handlers come back on exit.

    Handlers can only be installed from the main thread; elsewhere nothing is recorded and the
    defaults stay. :meth:`take` returns what arrived since the last call, oldest first.
    """

    def __init__(self, signums: tuple[signal.Signals, ...] = INTERRUPTS) -> None:
        self._signums = signums
        self._arrived: list[int] = []
        self._previous: dict[int, Any] = {}

    def _record(self, signum: int, frame: FrameType | None) -> None:
        del frame
        self._arrived.append(signum)  # list.append is atomic; runs on the main thread

    def take(self) -> list[int]:
        """The signals delivered since the previous call (possibly none)."""
        taken = []
        while self._arrived:
            taken.append(self._arrived.pop(0))
        return taken

    def __enter__(self) -> Signals:
        if threading.current_thread() is threading.main_thread():
            for signum in self._signums:
                self._previous[signum] = signal.signal(signum, self._record)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        self._previous.clear()


def exit_status_for(signum: int) -> int:
    """The shell's status for a command ended by ``signum``: 128 + its number (SIGINT: 130)."""
    return 128 + signum


def signal_name(signum: int) -> str:
    """``SIGINT``, ``SIGTERM``, ... for a signal number; ``signal N`` when unknown."""
    try:
        return signal.Signals(signum).name
    except ValueError:
        return f"signal {signum}"
