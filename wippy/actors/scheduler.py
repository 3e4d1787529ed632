"""Where processes get CPU: each host's run queue and workers, and threads for blocking bodies.

A :class:`RunQueue` is one host's scheduler. It has ``workers`` permits, a FIFO of runnable
processes and up to ``workers`` worker threads, started as they are needed. A worker takes the
process at the head of the queue and runs one slice of it (a Step of its actor), then the next;
a process that waits (in ``receive``, a sleep, a host call) is on no queue and holds nothing
until its wake puts it back. Bodies that must keep a thread (Python functions) take a permit
through a :class:`Permit` while they run and give it back while they wait, so ``workers`` bounds
how many processes of the host run at once, whatever they are.

:class:`ThreadPool` gives blocking bodies (Python functions, components, wasmer guests) their
threads: a finished job's thread parks for a while and takes the next job.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from wippy.timers import Timers

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


class Permit:
    """One blocking body's claim on its host's permits; used by that body's thread.

    :meth:`acquire` blocks until a permit is free (in FIFO order with the runnable processes),
    :meth:`release` gives it back, :meth:`cancel` (any thread) makes pending and future acquires
    fail, as when the process is terminated while it waits for a permit.
    """

    __slots__ = ("_event", "_queue", "cancelled", "held")

    def __init__(self, queue: RunQueue) -> None:
        self._queue = queue
        self._event = threading.Event()
        self.held = False
        self.cancelled = False

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


@dataclass(frozen=True)
class RunQueueStats:
    """A snapshot of a run queue: permits in use (``busy``) of ``workers``, worker ``threads``
    alive, processes waiting in the queue (``runnable``) and seconds workers spent running."""

    workers: int
    busy: int
    threads: int
    runnable: int
    busy_seconds: float


class RunQueue:
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

        From a helping thread (see :func:`mark_helper_thread`) no worker is woken at once: the
        thread will likely run the item itself when it next waits, which saves two thread
        hand-offs; a timer wakes workers after :data:`ANNOUNCE_DELAY` for what is left.
        """
        lazy = (
            self._timers is not None
            and getattr(_helper, "on", False)
            and getattr(_slice, "transferred", None) is None
            and getattr(item, "helpable", False)
        )
        with self._cond:
            self._queue.append(item)
            if lazy and self._threads > 0:
                if self._announce_armed:
                    return
                self._announce_armed = True
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
        """Wakes workers for what helping threads scheduled and left in the queue."""
        starts = 0
        with self._cond:
            self._announce_armed = False
            for _ in range(min(len(self._queue), self.workers)):
                before = self._waking
                if self._wake_locked():
                    starts += 1
                elif self._waking == before:
                    break
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
                if type(item) is Permit:
                    item.held = True
                    item._event.set()
                    continue
            started = time.perf_counter()
            _slice.transferred = False
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
        started = time.perf_counter()
        previous = getattr(_slice, "transferred", None)
        _slice.transferred = False
        try:
            item.run_slice()  # type: ignore[union-attr]
        except BaseException:
            logger.exception("host %s: a process slice failed", self.name)
        finally:
            transferred = _slice.transferred
            _slice.transferred = previous
            with self._cond:
                if not transferred:
                    self._busy -= 1
                self._busy_time += time.perf_counter() - started
                start = self._dispatch_locked() if self._queue else False
        if start:
            self._start_thread()
        return True

    # -- permits for blocking bodies ------------------------------------------------------------

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

    def _acquire(self, permit: Permit) -> bool:
        with self._cond:
            if permit.cancelled:
                return False
            if not self._queue and self._busy < self.workers:
                self._busy += 1
                permit.held = True
                return True
            permit._event.clear()
            self._queue.append(permit)
            start = self._wake_locked()
        if start:
            self._start_thread()
        permit._event.wait()
        with self._cond:
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


@dataclass(eq=False)
class _Parked:
    """One pooled thread; ``job`` is what it runs next (None: end), set while it is parked."""

    job: Callable[[], None] | None
    wake: threading.Semaphore
    thread: threading.Thread | None = None


class ThreadPool:
    """Threads for bodies that block: one per running job, reused after a job ends.

    A thread whose job finished parks for up to ``idle_timeout`` seconds for the next job, then
    ends (starting a thread costs ~100 µs here, handing a job to a parked one ~10 µs).
    :meth:`join` waits for the running jobs, :meth:`close` ends the parked threads.
    """

    def __init__(self, name: str = "wippy-process", idle_timeout: float = 2.0) -> None:
        self._name = name
        self._idle_timeout = idle_timeout
        self._cond = threading.Condition(threading.Lock())
        self._parked: list[_Parked] = []
        self._running = 0
        self._closed = False
        self._threads: set[threading.Thread] = set()

    def submit(self, job: Callable[[], None]) -> None:
        """Runs ``job`` on a pooled thread. Raises RuntimeError when closed or when no thread
        can be started."""
        with self._cond:
            if self._closed:
                raise RuntimeError("the thread pool is closed")
            self._running += 1
            if self._parked:
                parked = self._parked.pop()
                parked.job = job
                parked.wake.release()
                return
        parked = _Parked(job, threading.Semaphore(0))
        thread = threading.Thread(
            target=self._run, args=(parked,), name=f"{self._name}-{next(_names)}", daemon=True
        )
        parked.thread = thread
        try:
            thread.start()
        except BaseException:
            with self._cond:
                self._running -= 1
                self._cond.notify_all()
            raise
        with self._cond:
            self._threads.add(thread)

    def _run(self, parked: _Parked) -> None:
        try:
            while True:
                job, parked.job = parked.job, None
                if job is None:
                    return
                try:
                    job()
                except BaseException:
                    logger.exception("a process thread failed")
                with self._cond:
                    self._running -= 1
                    self._cond.notify_all()
                    if self._closed:
                        return
                    self._parked.append(parked)
                if not parked.wake.acquire(timeout=self._idle_timeout):
                    with self._cond:
                        if parked in self._parked:
                            self._parked.remove(parked)
                            return  # nobody handed it a job: the thread ends
                    parked.wake.acquire()  # a job was handed over as the wait timed out
        finally:
            with self._cond:
                self._threads.discard(threading.current_thread())
                self._cond.notify_all()

    @property
    def running(self) -> int:
        """How many jobs are running."""
        with self._cond:
            return self._running

    def join(self, timeout: float | None = None) -> bool:
        """Waits up to ``timeout`` s until no job runs (besides the calling thread's own);
        True when none does."""
        current = threading.current_thread()
        own = 1 if current in self._threads else 0
        with self._cond:
            return self._cond.wait_for(lambda: self._running <= own, timeout)

    def close(self, timeout: float = 5.0) -> None:
        """Refuses new jobs and ends the parked threads (waiting for them)."""
        with self._cond:
            self._closed = True
            parked, self._parked = self._parked, []
            threads = [p.thread for p in parked if p.thread is not None]
        for item in parked:
            item.job = None
            item.wake.release()
        deadline = time.monotonic() + timeout
        for thread in threads:
            if thread is not threading.current_thread():
                thread.join(max(0.0, deadline - time.monotonic()))
