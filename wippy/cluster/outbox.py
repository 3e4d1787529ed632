"""Per-peer outboxes: the items one node sends another, in the order they were queued.

One outbox per peer keeps the order of everything sent from this node to that one (messages
between two processes keep their order across nodes). A :class:`Slot` holds the place of a
reply not made yet, so what is queued after it (a spawned process's EXIT) cannot overtake it.
"""

from __future__ import annotations

import threading
import time
from collections import deque

MAX_ITEMS = 10_000
"""The most items one batch carries."""
MAX_BYTES = 8 << 20
"""About the most bytes one batch carries (a single larger item travels alone)."""


class Slot:
    """A reserved place in an outbox, filled later with one item (:meth:`Outbox.fill`)."""

    __slots__ = ("blob",)

    def __init__(self) -> None:
        self.blob: bytes | None = None


class Outbox:
    """Pickled items for one peer; thread-safe. :meth:`take` drains them in order."""

    def __init__(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._items: deque[bytes | Slot] = deque()
        self._closed = False
        self._waiting = False

    def put(self, blob: bytes) -> bool:
        """Queues ``blob``; False when the outbox is closed (its peer is down)."""
        with self._cond:
            if self._closed:
                return False
            self._items.append(blob)
            if self._waiting:
                self._cond.notify()
        return True

    def reserve(self) -> Slot | None:
        """Reserves the next place for an item made later; None when closed."""
        slot = Slot()
        with self._cond:
            if self._closed:
                return None
            self._items.append(slot)
        return slot

    def fill(self, slot: Slot, blob: bytes) -> None:
        """Fills a reserved place; the items behind it can leave now."""
        with self._cond:
            slot.blob = blob
            if self._waiting:
                self._cond.notify()

    def take(self, wait: float | None) -> list[bytes]:
        """The items ready to leave, oldest first, up to :data:`MAX_ITEMS`/:data:`MAX_BYTES`
        and never past an unfilled slot; waits up to ``wait`` s (None: until there are some
        or the outbox closes). Empty on timeout or once closed."""
        deadline = None if wait is None else time.monotonic() + wait
        with self._cond:
            while not self._closed and not self._ready():
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return []
                self._waiting = True
                try:
                    self._cond.wait(remaining)
                finally:
                    self._waiting = False
            if self._closed:
                return []
            return self._drain()

    def _ready(self) -> bool:
        if not self._items:
            return False
        head = self._items[0]
        return not isinstance(head, Slot) or head.blob is not None

    def _drain(self) -> list[bytes]:
        items = self._items
        batch: list[bytes] = []
        size = 0
        while items and len(batch) < MAX_ITEMS and (size < MAX_BYTES or not batch):
            head = items[0]
            if isinstance(head, Slot):
                if head.blob is None:
                    break
                head = head.blob
            items.popleft()
            batch.append(head)
            size += len(head)
        return batch

    def __len__(self) -> int:
        with self._cond:
            return len(self._items)

    def close(self) -> int:
        """Closes the outbox (its peer is down) and drops what it held; returns how many."""
        with self._cond:
            dropped = len(self._items)
            self._items.clear()
            self._closed = True
            self._cond.notify_all()
        return dropped

    @property
    def closed(self) -> bool:
        """True once :meth:`close` was called."""
        return self._closed


class PolledOutbox(Outbox):
    """An outbox its peer pulls (the node that loaded the app is not a Ray actor, so nodes
    cannot call it): :meth:`poll` hands out numbered batches and hands the last one out again
    until the peer acknowledges it, so a reply lost on the way loses nothing."""

    def __init__(self) -> None:
        super().__init__()
        self._poll_lock = threading.Lock()
        self._seq = 0
        self._in_flight: list[bytes] = []

    def poll(self, ack: int, wait: float) -> tuple[int, list[bytes]]:
        """The batch after ``ack`` (the last sequence number the peer applied), waiting up to
        ``wait`` s for items; ``(ack, [])`` when there are none."""
        with self._poll_lock:
            if self._in_flight and ack < self._seq:
                return self._seq, self._in_flight
            self._in_flight = []
            batch = self.take(wait)
            if not batch:
                return self._seq, []
            self._seq += 1
            self._in_flight = batch
            return self._seq, batch
