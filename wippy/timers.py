"""A thread that runs callbacks at deadlines: guest sleeps, receive timeouts, cancel graces.

Shared by the engine and the process runtime (it depends on nothing else of wippy); each owner
creates its own :class:`Timers` and closes it.
"""

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

    __slots__ = ("callback", "cancelled", "deadline", "owner")

    def __init__(
        self, deadline: float, callback: Callable[[], None], owner: Timers | None = None
    ) -> None:
        self.deadline = deadline
        self.callback = callback
        self.cancelled = False
        self.owner = owner

    def cancel(self) -> None:
        """Keeps the callback from running (no effect once it ran)."""
        if not self.cancelled:
            self.cancelled = True
            owner = self.owner
            if owner is not None:
                owner._cancelled += 1


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
        self._cancelled = 0  # cancelled handles still in the heap (approximate, for compaction)

    def schedule(self, delay: float, callback: Callable[[], None]) -> TimerHandle:
        """Runs ``callback`` after ``delay`` seconds. Raises RuntimeError once closed."""
        return self.schedule_at(time.monotonic() + max(0.0, delay), callback)

    def schedule_at(self, deadline: float, callback: Callable[[], None]) -> TimerHandle:
        """Runs ``callback`` at ``deadline`` (a :func:`time.monotonic` time). Raises RuntimeError
        once closed."""
        handle = TimerHandle(deadline, callback, self)
        with self._cond:
            if self._closed:
                raise RuntimeError("timers are closed")
            if self._cancelled > 1024 and self._cancelled * 2 > len(self._heap):
                self._compact()
            earliest = not self._heap or deadline < self._heap[0][0]
            heapq.heappush(self._heap, (handle.deadline, next(self._seq), handle))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
                self._thread.start()
            elif earliest:
                self._cond.notify()  # the thread sleeps until the old earliest deadline
        return handle

    def _compact(self) -> None:
        """Drops cancelled handles (many short timeouts cancelled early would pile up)."""
        self._heap = [item for item in self._heap if not item[2].cancelled]
        heapq.heapify(self._heap)
        self._cancelled = 0

    def __len__(self) -> int:
        """Pending (not cancelled) callbacks."""
        with self._cond:
            return sum(1 for item in self._heap if not item[2].cancelled)

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
                        self._cancelled = max(0, self._cancelled - 1)
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
