"""Threads for bodies that block (Python functions, components, wasmer guests).

A :class:`ThreadPool` gives each running job a thread of its own; a finished job's thread parks
for a while and takes the next job, so a burst of processes does not start a thread per process.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

logger = logging.getLogger("wippy.actors.scheduler")  # logged as the scheduler's, like workers

_names = itertools.count()


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
