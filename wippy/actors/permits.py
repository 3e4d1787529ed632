"""Permits: how bodies that keep a thread of their own share their host's workers.

A host's run queue has ``workers`` permits; a worker holds one while it runs a slice. A body
that must keep a thread (a Python function) takes one through its :class:`Permit` while it runs
and gives it back while it waits, so ``workers`` bounds how many processes of the host run at
once, whatever they are. A permit asked for while others wait queues behind them, in the same
FIFO as the runnable processes (:class:`PermitGrants`, the run queue's side of it).
"""

from __future__ import annotations

import contextlib
import threading
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from wippy.actors.scheduler import Runnable, RunQueue


class Permit:
    """One blocking body's claim on its host's permits; used by that body's thread.

    :meth:`acquire` blocks until a permit is free (in FIFO order with the runnable processes),
    :meth:`release` gives it back, :meth:`cancel` (any thread) makes pending and future acquires
    fail, as when the process is terminated while it waits for a permit.
    """

    __slots__ = ("_event", "_queue", "cancelled", "held", "waiting")

    def __init__(self, queue: RunQueue) -> None:
        self._queue = queue
        self._event = threading.Event()
        self.held = False
        self.cancelled = False
        self.waiting = False
        """True while its body waits in the run queue for a permit (for introspection)."""

    def acquire(self) -> bool:
        """Takes a permit (no-op when held); False when cancelled instead."""
        if self.held:
            return True
        return self._queue._acquire(self)

    def release(self) -> None:
        """Gives the permit back (no-op unless held)."""
        if self.held:
            self._queue._release(self)

    def cancel(self) -> None:
        """Fails a pending :meth:`acquire` and every later one; any thread."""
        self._queue._cancel(self)

    @property
    def queue(self) -> RunQueue:
        """The run queue whose permits this claims."""
        return self._queue


class PermitGrants:
    """The permits part of :class:`~wippy.actors.scheduler.RunQueue` (its condition, queue,
    permit count and worker wake-ups): granting permits, queueing them and taking them back."""

    workers: int
    _cond: threading.Condition
    _queue: deque[Runnable | Permit]
    _busy: int
    _wake_locked: Callable[[], bool]
    _start_thread: Callable[[], None]

    def _acquire(self, permit: Permit) -> bool:
        with self._cond:
            if permit.cancelled:
                return False
            if not self._queue and self._busy < self.workers:
                self._busy += 1
                permit.held = True
                return True
            permit._event.clear()
            permit.waiting = True
            self._queue.append(permit)
            start = self._wake_locked()
        if start:
            self._start_thread()
        permit._event.wait()
        with self._cond:
            permit.waiting = False
            if permit.cancelled and permit.held:
                permit.held = False
                self._busy -= 1
                start = self._dispatch_locked()
            else:
                start = False
        if start:
            self._start_thread()
        return not permit.cancelled

    def _release(self, permit: Permit) -> None:
        with self._cond:
            if not permit.held:
                return
            permit.held = False
            self._busy -= 1
            start = self._dispatch_locked()
        if start:
            self._start_thread()

    def _dispatch_locked(self) -> bool:
        """After a permit came back: grants queued permits at the head, wakes a worker for a
        runnable one. True when a worker thread must be started."""
        while self._queue and self._busy < self.workers:
            head = self._queue[0]
            if type(head) is not Permit:
                return self._wake_locked()
            self._queue.popleft()
            self._busy += 1
            head.held = True
            head._event.set()
        return False

    def _cancel(self, permit: Permit) -> None:
        with self._cond:
            permit.cancelled = True
            with contextlib.suppress(ValueError):
                self._queue.remove(permit)
            permit._event.set()
