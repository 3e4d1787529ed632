"""Where processes get CPU: each host's run queue and its workers.

A :class:`RunQueue` is one host's scheduler. It has ``workers`` permits, a FIFO of runnable
processes and up to ``workers`` worker threads, started as they are needed. A worker takes the
process at the head of the queue and runs one slice of it (a Step of its actor), then the next;
a process that waits (in ``receive``, a sleep, a host call) is on no queue and holds nothing
until its wake puts it back. Bodies that must keep a thread (Python functions) take a permit
through a :class:`Permit` while they run and give it back while they wait, so ``workers`` bounds
how many processes of the host run at once, whatever they are (:mod:`.permits`).

:class:`ThreadPool` (:mod:`.thread_pool`) gives blocking bodies (Python functions, components,
wasmer guests) their threads: a finished job's thread parks for a while and takes the next job.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from wippy.actors.permits import Permit, PermitGrants
from wippy.actors.thread_pool import ThreadPool

if TYPE_CHECKING:
    from wippy.timers import Timers

__all__ = [
    "ANNOUNCE_DELAY",
    "Permit",
    "RunQueue",
    "RunQueueStats",
    "Runnable",
    "ThreadPool",
    "mark_helper_thread",
]

logger = logging.getLogger(__name__)

_names = itertools.count()
_slice = threading.local()  # on a worker: whether the running slice handed its permit over
_helper = threading.local()  # on a thread that runs slices while it waits (a handle's thread)

ANNOUNCE_DELAY = 0.001
"""How long a process scheduled by a helping thread may wait before workers are woken for it."""


def mark_helper_thread() -> None:
    """Marks the calling thread as one that runs runnable slices when it waits (a handle in
    ``receive``): processes it schedules afterwards do not wake a worker at once, since it is
    likely to run them itself; workers are woken after :data:`ANNOUNCE_DELAY` if it did not."""
    _helper.on = True


class Runnable(Protocol):
    """Something a worker runs: one slice of a process. ``helpable`` ones (their slices never
    block) may also be run by a thread that waits for them (:meth:`RunQueue.run_one`)."""

    helpable: bool

    def run_slice(self) -> None:
        """Runs one slice on the calling worker thread (which holds a permit meanwhile)."""


@dataclass(frozen=True)
class RunQueueStats:
    """A snapshot of a run queue: permits in use (``busy``) of ``workers``, worker ``threads``
    alive, processes waiting in the queue (``runnable``) and seconds workers spent running."""

    workers: int
    busy: int
    threads: int
    runnable: int
    busy_seconds: float


class RunQueue(PermitGrants):
    """One host's scheduler: a FIFO of runnable processes stepped by up to ``workers`` threads.

    Thread-safe. :meth:`close` ends the worker threads once the queue is empty.
    """

    def __init__(self, name: str, workers: int, timers: Timers | None = None) -> None:
        if workers < 1:
            raise ValueError(f"{name}: workers must be >= 1, got {workers}")
        self.name = name
        self.workers = workers
        self._timers = timers
        self._announce_armed = False
        self._pops = 0  # slices taken from the queue: whether a lazy queue is making progress
        self._armed_pops = 0
        self._cond = threading.Condition(threading.Lock())
        self._queue: deque[Runnable | Permit] = deque()
        self._busy = 0
        self._threads = 0
        self._idle = 0
        self._waking = 0
        self._closing = False
        self._busy_time = 0.0
        self._thread_objects: set[threading.Thread] = set()
        self._starting = 0  # threads counted in _threads whose start() has not returned yet

    # -- runnables --------------------------------------------------------------------------

    def schedule(self, item: Runnable) -> None:
        """Queues ``item`` to run one slice on a worker. Raises RuntimeError when no worker
        thread exists and none can be started.

        No worker is woken at once when the caller is likely to run the item itself soon: a
        worker of this queue (a process it runs woke another, as a sender wakes its receiver:
        the worker takes it when the slice ends, with no thread hand-off), or a helping thread
        (see :func:`mark_helper_thread`). A timer wakes workers after :data:`ANNOUNCE_DELAY`
        for what is still queued then.
        """
        in_slice = getattr(_slice, "transferred", None) is not None
        lazy = self._timers is not None and (
            (in_slice and getattr(_slice, "queue", None) is self)  # this worker runs it next
            or (not in_slice and getattr(_helper, "on", False) and getattr(item, "helpable", False))
        )
        with self._cond:
            self._queue.append(item)
            if lazy and self._threads > 0:
                if self._announce_armed:
                    return
                self._announce_armed = True
                self._armed_pops = self._pops
                start = False
            else:
                lazy = False
                start = self._wake_locked()
        if lazy:
            try:
                self._timers.schedule(ANNOUNCE_DELAY, self._announce)  # type: ignore[union-attr]
            except RuntimeError:  # timers closed: wake at once
                self._announce()
            return
        if start:
            self._start_thread()

    def _announce(self) -> None:
        """Wakes workers for what was scheduled lazily and is still waiting: when no slice was
        taken from the queue since the timer was armed (its workers are stuck in long slices),
        or the queue grew long; when they are making progress, it looks again later."""
        starts = 0
        rearm = False
        with self._cond:
            self._announce_armed = False
            if not self._queue:
                return
            progress = self._pops != self._armed_pops
            if progress and len(self._queue) <= 4 * max(1, self._busy):
                self._announce_armed = rearm = True
                self._armed_pops = self._pops
            else:
                for _ in range(min(len(self._queue), self.workers)):
                    before = self._waking
                    if self._wake_locked():
                        starts += 1
                    elif self._waking == before:
                        break
        if rearm:
            try:
                self._timers.schedule(ANNOUNCE_DELAY, self._announce)  # type: ignore[union-attr]
            except RuntimeError:
                with self._cond:
                    self._announce_armed = False
            return
        for _ in range(starts):
            self._start_thread()

    def _wake_locked(self) -> bool:
        """Wakes an idle worker for the queue's head; True when a thread must be started."""
        if self._busy + self._waking >= self.workers or self._closing:
            return False
        if self._idle > 0:
            self._idle -= 1
            self._waking += 1
            self._cond.notify()
            return False
        if self._threads < self.workers:
            self._threads += 1
            self._waking += 1
            self._starting += 1
            return True
        return False

    def _start_thread(self) -> None:
        thread = threading.Thread(
            target=self._work, name=f"wippy-worker-{self.name}-{next(_names)}", daemon=True
        )
        with self._cond:  # known before it runs, so that close() joins it
            self._thread_objects.add(thread)
        try:
            thread.start()
        except BaseException:
            with self._cond:
                self._thread_objects.discard(thread)
                self._threads -= 1
                self._waking -= 1
                self._starting -= 1
                self._cond.notify_all()
                none_left = self._threads == 0
            if none_left:
                raise
            logger.warning("host %s: cannot start another worker thread", self.name)
            return
        with self._cond:
            self._starting -= 1
            self._cond.notify_all()

    def _work(self) -> None:
        cond = self._cond
        with cond:
            self._waking -= 1
        while True:
            with cond:
                while not (self._queue and self._busy < self.workers):
                    if self._closing:
                        self._threads -= 1
                        self._thread_objects.discard(threading.current_thread())
                        cond.notify_all()
                        return
                    self._idle += 1
                    cond.wait()
                    self._waking -= 1
                item = self._queue.popleft()
                self._busy += 1
                self._pops += 1
                if type(item) is Permit:
                    item.held = True
                    item._event.set()
                    continue
            started = time.perf_counter()
            _slice.transferred = False
            _slice.queue = self
            try:
                item.run_slice()  # type: ignore[union-attr]
            except BaseException:
                logger.exception("host %s: a process slice failed", self.name)
            with cond:
                if not _slice.transferred:
                    self._busy -= 1
                self._busy_time += time.perf_counter() - started

    def run_one(self) -> bool:
        """Runs the slice at the head of the queue on the calling thread, when a permit is free
        and the head is a runnable process; True when it ran one.

        A thread that would otherwise block waiting for a process (a handle in ``receive``)
        helps this way: the process it waits for often is the one at the head, and running it
        here saves two thread hand-offs.
        """
        with self._cond:
            if not self._queue or self._busy >= self.workers:
                return False
            item = self._queue[0]
            if type(item) is Permit or not getattr(item, "helpable", False):
                return False
            self._queue.popleft()
            self._busy += 1
            self._pops += 1
        started = time.perf_counter()
        previous = getattr(_slice, "transferred", None), getattr(_slice, "queue", None)
        _slice.transferred, _slice.queue = False, self
        try:
            item.run_slice()  # type: ignore[union-attr]
        except BaseException:
            logger.exception("host %s: a process slice failed", self.name)
        finally:
            transferred = _slice.transferred
            _slice.transferred, _slice.queue = previous
            with self._cond:
                if not transferred:
                    self._busy -= 1
                self._busy_time += time.perf_counter() - started
                start = self._dispatch_locked() if self._queue else False
        if start:
            self._start_thread()
        return True

    # -- permits for blocking bodies (granted, queued and taken back: see :mod:`.permits`) ------

    def permit(self) -> Permit:
        """A new claim for a blocking body of this host."""
        return Permit(self)

    def hand_over(self, permit: Permit) -> bool:
        """Gives the permit of the slice running on this worker to ``permit`` (a blocking body
        that this Step starts on its own thread), so it runs at once, in Step order. False when
        not called from a slice of this queue's workers (the body then acquires one itself)."""
        if getattr(_slice, "transferred", None) is not False or permit.held:
            return False
        with self._cond:
            if permit.cancelled:
                return False
            _slice.transferred = True
            permit.held = True
        return True

    # -- introspection and shutdown -------------------------------------------------------------

    @property
    def busy(self) -> int:
        """Permits in use now (an unlocked read)."""
        return self._busy

    def stats(self) -> RunQueueStats:
        """Permits in use, threads, queue depth and busy time now."""
        with self._cond:
            return RunQueueStats(
                self.workers, self._busy, self._threads, len(self._queue), self._busy_time
            )

    def close(self, timeout: float = 5.0) -> bool:
        """Lets the workers finish what is queued, then ends them; True when all ended in time.

        Never waits for the calling thread itself (a worker stopping the runtime).
        """
        deadline = time.monotonic() + timeout
        with self._cond:
            self._closing = True
            self._idle = 0
            self._cond.notify_all()
            # a thread being started now is joined too (it sees _closing and ends)
            self._cond.wait_for(lambda: self._starting == 0, max(0.0, timeout))
            threads = list(self._thread_objects)
        current = threading.current_thread()
        ok = True
        for thread in threads:
            if thread is current:
                continue
            thread.join(max(0.0, deadline - time.monotonic()))
            ok = ok and not thread.is_alive()
        return ok
