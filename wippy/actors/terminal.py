"""The terminal's input as a live stdin for the processes of a ``terminal.host``."""

from __future__ import annotations

import logging
import os
import select
import threading
from collections.abc import Callable

logger = logging.getLogger(__name__)

_CHUNK = 65536
_POLL = 0.2


class TerminalInput:
    """Reads a file descriptor (the terminal, a pipe) on a thread of its own and serves it as a
    :class:`~wippy.wasm.spec.InputStream`: a guest reading its stdin takes what has arrived and,
    when nothing has, waits suspended until more comes or the input ends.

    Every process reading it shares one stream: bytes go to whichever reads first. The reader
    thread starts on the first read or watch; :meth:`close` stops it.
    """

    def __init__(self, fd: int) -> None:
        self._fd = fd
        self._lock = threading.Lock()
        self._buffer = bytearray()
        self._ended = False
        self._watchers: list[Callable[[], None]] = []
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()

    def _start(self) -> None:
        with self._lock:
            if self._thread is not None or self._stop.is_set():
                return
            self._thread = threading.Thread(
                target=self._run, name="wippy-terminal-input", daemon=True
            )
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                readable, _, _ = select.select([self._fd], [], [], _POLL)
                if not readable:
                    continue
                data = os.read(self._fd, _CHUNK)
            except (OSError, ValueError) as exc:
                logger.debug("terminal input ended: %s", exc)
                data = b""
            with self._lock:
                if data:
                    self._buffer += data
                else:
                    self._ended = True
                watchers, self._watchers = self._watchers, []
            for watcher in watchers:
                watcher()
            if not data:
                return

    def read(self, size: int) -> bytes | None:
        """Up to ``size`` bytes that have arrived; ``b""`` at the end; None while waiting."""
        self._start()
        with self._lock:
            if self._buffer:
                data = bytes(self._buffer[:size])
                del self._buffer[:size]
                return data
            return b"" if self._ended else None

    def available(self) -> int:
        """Bytes that have arrived and not been read."""
        self._start()
        with self._lock:
            return len(self._buffer)

    def at_end(self) -> bool:
        """True once the input ended and all of it was read."""
        with self._lock:
            return self._ended and not self._buffer

    def watch(self, callback: Callable[[], None]) -> None:
        """Calls ``callback`` once when data or the end arrives (at once when there is some)."""
        self._start()
        with self._lock:
            ready = bool(self._buffer) or self._ended
            if not ready:
                self._watchers.append(callback)
        if ready:
            callback()

    def close(self) -> None:
        """Stops the reader thread (within its poll interval) and wakes every watcher."""
        self._stop.set()
        with self._lock:
            self._ended = True
            watchers, self._watchers = self._watchers, []
            thread = self._thread
        for watcher in watchers:
            watcher()
        if thread is not None and thread is not threading.current_thread():
            thread.join(2 * _POLL)
