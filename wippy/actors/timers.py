"""One runtime-owned thread that runs callbacks at deadlines (cancel grace periods)."""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from collections.abc import Callable, Hashable

logger = logging.getLogger(__name__)


class TimerHandle:
    """A scheduled callback; :meth:`cancel` keeps it from running."""

    def __init__(self, deadline: float, callback: Callable[[], None]) -> None:
        self.deadline = deadline
        self.callback = callback
        self.cancelled = False

    def cancel(self) -> None:
        """Keeps the callback from running (no effect once it ran)."""
        self.cancelled = True


class Timers:
    """Runs callbacks after delays on a single thread, started on first use.

    The owner must call :meth:`close`, which drops pending callbacks and joins the thread.
    Callbacks must be short; exceptions they raise are logged.
    """

    def __init__(self, name: str = "wippy-timers") -> None:
        self._name = name
        self._cond = threading.Condition(threading.Lock())
        self._heap: list[tuple[float, int, TimerHandle]] = []
        self._seq = itertools.count()
        self._thread: threading.Thread | None = None
        self._closed = False

    def schedule(self, delay: float, callback: Callable[[], None]) -> TimerHandle:
        """Runs ``callback`` after ``delay`` seconds. Raises RuntimeError once closed."""
        handle = TimerHandle(time.monotonic() + max(0.0, delay), callback)
        with self._cond:
            if self._closed:
                raise RuntimeError("timers are closed")
            heapq.heappush(self._heap, (handle.deadline, next(self._seq), handle))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
                self._thread.start()
            self._cond.notify()
        return handle

    def close(self) -> None:
        """Drops every pending callback and joins the thread. Idempotent."""
        with self._cond:
            self._closed = True
            self._heap.clear()
            self._cond.notify()
            thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join()

    def _run(self) -> None:
        while True:
            with self._cond:
                while True:
                    if self._closed:
                        return
                    if self._heap and self._heap[0][2].cancelled:
                        heapq.heappop(self._heap)
                        continue
                    if self._heap:
                        wait = self._heap[0][0] - time.monotonic()
                        if wait <= 0:
                            handle = heapq.heappop(self._heap)[2]
                            break
                        self._cond.wait(wait)
                    else:
                        self._cond.wait()
            try:
                handle.callback()
            except Exception:
                logger.exception("timer callback failed")


class KeyedTimers:
    """At most one pending callback per key on a :class:`Timers`; thread-safe.

    Used for cancel grace periods: one per pid, dropped when the process exits.
    """

    def __init__(self, timers: Timers) -> None:
        self._timers = timers
        self._lock = threading.Lock()
        self._handles: dict[Hashable, TimerHandle] = {}

    def start(self, key: Hashable, delay: float, callback: Callable[[], None]) -> bool:
        """Schedules ``callback`` for ``key`` unless one is pending; False if one was, or if the
        timers are closed."""
        with self._lock:
            if key in self._handles:
                return False

            def fire() -> None:
                with self._lock:
                    self._handles.pop(key, None)
                callback()

            try:
                self._handles[key] = self._timers.schedule(delay, fire)
            except RuntimeError:
                return False
            return True

    def drop(self, key: Hashable) -> None:
        """Cancels the pending callback of ``key``, if any."""
        with self._lock:
            handle = self._handles.pop(key, None)
        if handle is not None:
            handle.cancel()

    def clear(self) -> None:
        """Cancels every pending callback."""
        with self._lock:
            handles = list(self._handles.values())
            self._handles.clear()
        for handle in handles:
            handle.cancel()

    def __len__(self) -> int:
        with self._lock:
            return len(self._handles)
