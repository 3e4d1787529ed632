"""A process's mailbox: an unbounded FIFO with selective receive, blocking or watched.

A process on a thread of its own blocks in :meth:`Mailbox.get`; a stepped process (a guest on a
fiber) uses :meth:`Mailbox.take_or_watch`, which either takes a matching item or registers a
one-shot callback that the next delivery (or the close) calls, so it can wait suspended.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

from wippy.actors.events import Received


class MailboxClosed(Exception):
    """Raised by :meth:`Mailbox.get` once the mailbox is closed (its process exited)."""


class Mailbox:
    """Holds what was delivered to one process, in delivery order; thread-safe.

    Delivery (:meth:`put`) never blocks and never drops while the mailbox is open. Receiving
    (:meth:`get`) can select: items that do not match stay queued, in order.
    """

    def __init__(self) -> None:
        self._items: deque[Received] = deque()
        self._lock = threading.Lock()
        self._cond_: threading.Condition | None = None  # made when a receiver first blocks
        self._closed = False
        self._removals = 0  # bumped on every removal so a selective scan knows to start over
        self._waiting = 0  # receivers blocked in get(): put() wakes them only when there are any
        self._watcher: Callable[[], None] | None = None

    @property
    def _cond(self) -> threading.Condition:
        cond = self._cond_
        if cond is None:
            cond = self._cond_ = threading.Condition(self._lock)
        return cond

    def put(self, item: Received) -> bool:
        """Appends ``item`` and wakes a waiting receiver; False (item dropped) when closed."""
        lock = self._lock
        lock.acquire()
        try:
            if self._closed:
                return False
            self._items.append(item)
            if self._waiting:
                self._cond.notify_all()
            watcher = self._watcher
            if watcher is None:
                return True
            self._watcher = None
        finally:
            lock.release()
        watcher()
        return True

    def pop(self) -> Received | None:
        """Removes and returns the oldest item, or None when there is none (never blocks;
        raises :class:`MailboxClosed` when closed)."""
        lock = self._lock
        lock.acquire()
        try:
            if self._closed:
                raise MailboxClosed
            items = self._items
            if items:
                self._removals += 1
                return items.popleft()
            return None
        finally:
            lock.release()

    def pop_ready(self) -> Received | None:
        """The oldest item when one is there and the mailbox is open, else None (never blocks,
        never raises): the receive fast path."""
        lock = self._lock
        lock.acquire()
        items = self._items
        if items and not self._closed:
            self._removals += 1
            item = items.popleft()
            lock.release()
            return item
        lock.release()
        return None

    def take_or_watch(
        self, match: Callable[[Received], bool] | None, watcher: Callable[[], None]
    ) -> Received | None:
        """Removes and returns the oldest item (that ``match`` accepts), or, when there is none,
        has ``watcher`` called once on the next delivery or close and returns None.

        Raises :class:`MailboxClosed` when closed.
        """
        with self._lock:
            if self._closed:
                raise MailboxClosed
            item = self._take(match)
            if item is None:
                self._watcher = watcher
            return item

    def unwatch(self) -> None:
        """Drops a registered watcher (the wait ended another way)."""
        with self._lock:
            self._watcher = None

    def _take(self, match: Callable[[Received], bool] | None) -> Received | None:
        items = self._items
        if match is None:
            if items:
                self._removals += 1
                return items.popleft()
            return None
        for index, item in enumerate(items):
            if match(item):
                del items[index]
                self._removals += 1
                return item
        return None

    def get(
        self,
        timeout: float | None = None,
        match: Callable[[Received], bool] | None = None,
        helper: Callable[[], bool] | None = None,
    ) -> Received | None:
        """Removes and returns the oldest item (that ``match`` accepts), waiting up to ``timeout``.

        Before it blocks, ``helper`` is called (outside the lock) as long as it returns True
        (it did some other work meanwhile, such as running a runnable process). Returns None
        when the timeout elapses first. Raises :class:`MailboxClosed` when the mailbox is or
        becomes closed while waiting.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        if helper is not None:
            while True:
                with self._lock:
                    if self._closed:
                        raise MailboxClosed
                    item = self._take(match)
                if item is not None:
                    return item
                if deadline is not None and time.monotonic() >= deadline:
                    return None
                if not helper():
                    break
        with self._lock:
            scanned = 0
            removals = self._removals
            while True:
                if self._closed:
                    raise MailboxClosed
                items = self._items
                if removals != self._removals:
                    scanned, removals = 0, self._removals
                if match is None:
                    if items:
                        self._removals += 1
                        return items.popleft()
                else:
                    # Items before `scanned` were already rejected; only look at new arrivals.
                    for index in range(scanned, len(items)):
                        if match(items[index]):
                            item = items[index]
                            del items[index]
                            self._removals += 1
                            return item
                    scanned = len(items)
                if deadline is None:
                    remaining = None
                else:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        return None
                self._waiting += 1
                try:
                    self._cond.wait(remaining)
                finally:
                    self._waiting -= 1

    def close(self) -> int:
        """Closes the mailbox, drops what it holds and wakes every receiver; returns #dropped."""
        with self._lock:
            self._closed = True
            dropped = len(self._items)
            self._items.clear()
            if self._waiting:
                self._cond.notify_all()
            watcher, self._watcher = self._watcher, None
        if watcher is not None:
            watcher()
        return dropped

    @property
    def closed(self) -> bool:
        """True once :meth:`close` was called."""
        return self._closed

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)
