"""How a process actor gets a thread: the one place to change for a pooled scheduler.

:class:`ThreadScheduler` gives every process its own Pykka thread. It owns those threads: it
knows every actor it started and :meth:`join` waits for them all to finish.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field

from wippy.actors.actor import Init, ProcessActor, ProcessRun

logger = logging.getLogger(__name__)


@dataclass(eq=False)
class _Started:
    run: ProcessRun
    stopped: threading.Event = field(default_factory=threading.Event)
    thread: threading.Thread | None = None
    thread_known: threading.Event = field(default_factory=threading.Event)


class ThreadScheduler:
    """Starts one :class:`ProcessActor` (one thread) per process and joins them. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._started: dict[int, _Started] = {}
        self._closed = False

    def start(self, run: ProcessRun) -> None:
        """Starts the process's actor and sends it Init.

        Raises RuntimeError when the scheduler is closed or no thread can be started.
        """
        with self._lock:
            if self._closed:
                raise RuntimeError("scheduler is closed")
            self._prune()
        entry = _Started(run)

        def on_thread() -> None:
            entry.thread = threading.current_thread()
            entry.thread_known.set()

        ref = ProcessActor.start(run, on_thread)
        entry.stopped = ref.actor_stopped
        with self._lock:
            self._started[id(entry)] = entry
        ref.tell(Init())

    def active(self) -> int:
        """How many started actors have a thread that is still alive (or not yet known)."""
        with self._lock:
            self._prune()
            return len(self._started)

    def join(self, timeout: float | None = None) -> list[ProcessRun]:
        """Waits up to ``timeout`` s for every actor thread to end; returns the runs still alive.

        Does not stop anything itself: the runtime makes every process exit first.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._lock:
            entries = list(self._started.values())
        stuck: list[ProcessRun] = []
        current = threading.current_thread()
        for entry in entries:
            if entry.thread is current:  # stop() called from a process: cannot join itself
                stuck.append(entry.run)
                continue
            if not _wait(entry.stopped, deadline) or not _wait(entry.thread_known, deadline):
                stuck.append(entry.run)
                continue
            assert entry.thread is not None
            entry.thread.join(None if deadline is None else max(0.0, deadline - time.monotonic()))
            if entry.thread.is_alive():
                stuck.append(entry.run)
        with self._lock:
            self._prune()
        return stuck

    def close(self) -> None:
        """Refuses further :meth:`start` calls."""
        with self._lock:
            self._closed = True

    def _prune(self) -> None:
        done = [
            key
            for key, entry in self._started.items()
            if entry.stopped.is_set() and entry.thread is not None and not entry.thread.is_alive()
        ]
        for key in done:
            del self._started[key]


def _wait(event: threading.Event, deadline: float | None) -> bool:
    if deadline is None:
        return event.wait()
    return event.wait(max(0.0, deadline - time.monotonic()))
