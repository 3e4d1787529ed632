"""A process's mailbox: an unbounded FIFO with selective, blocking receive."""

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
        self._cond = threading.Condition(threading.Lock())
        self._closed = False
        self._removals = 0  # bumped on every removal so a selective scan knows to start over
        self._waiting = 0  # receivers blocked in get(): put() wakes them only when there are any

    def put(self, item: Received) -> bool:
        """Appends ``item`` and wakes a waiting receiver; False (item dropped) when closed."""
        with self._cond:
            if self._closed:
                return False
            self._items.append(item)
            if self._waiting:
                self._cond.notify_all()
            return True

    def get(
        self,
        timeout: float | None = None,
        match: Callable[[Received], bool] | None = None,
    ) -> Received | None:
        """Removes and returns the oldest item (that ``match`` accepts), waiting up to ``timeout``.

        Returns None when the timeout elapses first. Raises :class:`MailboxClosed` when the
        mailbox is or becomes closed while waiting.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
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
        with self._cond:
            self._closed = True
            dropped = len(self._items)
            self._items.clear()
            self._cond.notify_all()
            return dropped

    @property
    def closed(self) -> bool:
        """True once :meth:`close` was called."""
        return self._closed

    def __len__(self) -> int:
        with self._cond:
            return len(self._items)
