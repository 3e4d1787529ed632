"""A bounded, thread-safe pool of live instances of one function entry."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from .api import Instance
from .errors import WasmError

__all__ = ["FunctionBusyError", "FunctionClosedError", "InstancePool", "PoolStats"]

log = logging.getLogger(__name__)


class FunctionBusyError(WasmError):
    """Every instance a function's pool may have is in use, and none came free in time."""

    kind = "busy"


class FunctionClosedError(WasmError):
    """The function (or the runtime that owns it) has been closed."""

    kind = "closed"


@dataclass(frozen=True)
class PoolStats:
    """A snapshot of a pool: instances alive (``idle`` + ``busy``), the bound (None: none),
    and how many were created and discarded so far."""

    idle: int
    busy: int
    capacity: int | None
    created: int
    discarded: int


class InstancePool:
    """Hands out instances made by ``make``: an idle one when there is one, else a new one while
    fewer than ``capacity`` exist (None: no bound), else the caller waits up to ``wait_timeout``
    seconds for one to be given back. Thread-safe; instances are used by one caller at a time."""

    def __init__(
        self,
        entry_id: str,
        make: Callable[[], Instance],
        *,
        capacity: int | None,
        wait_timeout: float,
        description: str,
    ) -> None:
        self.entry_id = entry_id
        self._make = make
        self.capacity = capacity
        self.wait_timeout = wait_timeout
        self.description = description
        self._cond = threading.Condition()
        self._idle: list[Instance] = []
        self._live = 0
        self._created = 0
        self._discarded = 0
        self._closed = False

    def fill(self, count: int) -> None:
        """Creates instances until ``count`` are idle (bounded by the capacity).

        Raises what ``make`` raises (the instances made before stay in the pool).
        """
        while True:
            with self._cond:
                if self._closed or len(self._idle) >= count or not self._has_room():
                    return
                self._live += 1
            self.release(self._new(), reuse=True)

    def _has_room(self) -> bool:
        return self.capacity is None or self._live < self.capacity

    def _new(self) -> Instance:
        try:
            instance = self._make()
        except BaseException:
            with self._cond:
                self._live -= 1
                self._cond.notify()
            raise
        with self._cond:
            self._created += 1
        return instance

    def acquire(self) -> Instance:
        """An instance for one call; give it back with :meth:`release`.

        Raises :class:`FunctionBusyError` after waiting ``wait_timeout`` s at capacity,
        :class:`FunctionClosedError` once closed, and what creating an instance raises.
        """
        deadline: float | None = None
        with self._cond:
            while True:
                if self._closed:
                    raise FunctionClosedError(f"{self.entry_id}: the function is closed")
                if self._idle:
                    return self._idle.pop()
                if self._has_room():
                    self._live += 1
                    break
                now = time.monotonic()
                if deadline is None:
                    deadline = now + self.wait_timeout
                if now >= deadline:
                    raise FunctionBusyError(
                        f"{self.entry_id}: all {self.capacity} instances of its "
                        f"{self.description} are busy; no call ended within "
                        f"{self.wait_timeout:g} s (raise the pool's size or wait_timeout)"
                    )
                self._cond.wait(deadline - now)
        return self._new()

    def release(self, instance: Instance, *, reuse: bool) -> None:
        """Takes back an instance: kept for the next call when ``reuse`` (and the pool is
        open), else closed and its place freed."""
        with self._cond:
            if reuse and not self._closed:
                self._idle.append(instance)
                self._cond.notify()
                return
            self._live -= 1
            self._discarded += 1
            self._cond.notify()
        _close(instance, self.entry_id)

    def stats(self) -> PoolStats:
        """The pool's current counts. Never raises."""
        with self._cond:
            idle = len(self._idle)
            return PoolStats(idle, self._live - idle, self.capacity, self._created,
                             self._discarded)

    def close(self) -> None:
        """Closes the idle instances; busy ones are closed when given back. Idempotent."""
        with self._cond:
            self._closed = True
            idle, self._idle = self._idle, []
            self._live -= len(idle)
            self._cond.notify_all()
        for instance in idle:
            _close(instance, self.entry_id)


def _close(instance: Instance, entry_id: str) -> None:
    try:
        instance.close()
    except Exception:
        log.exception("%s: closing an instance failed", entry_id)
