"""A process host: its settings, its lifecycle, its run queue and who may still be admitted."""

from __future__ import annotations

import enum
import threading
from dataclasses import dataclass

from wippy.actors.errors import HostQueueFull, HostStoppedError
from wippy.actors.scheduler import RunQueue
from wippy.timers import Timers


class HostState(enum.Enum):
    """Lifecycle of a host: spawning is allowed only while RUNNING."""

    STOPPED = "stopped"
    RUNNING = "running"
    STOPPING = "stopping"


@dataclass(frozen=True)
class HostConfig:
    """A host's settings: ``workers`` threads step its processes, up to ``queue_size`` spawned
    processes may wait for a worker to start, ``stop_timeout`` s of grace when it stops, and a
    running guest yields to the others every ``slice`` s."""

    host_id: str
    workers: int = 16
    queue_size: int = 1024
    stop_timeout: float = 5.0
    slice: float = 0.01
    terminal: bool = False
    """A ``terminal.host``: its WebAssembly processes read the runtime's live stdin."""

    def __post_init__(self) -> None:
        if self.workers < 1:
            raise ValueError(f"host {self.host_id!r}: workers must be >= 1, got {self.workers}")
        if self.queue_size < 0:
            raise ValueError(f"host {self.host_id!r}: queue_size must be >= 0")
        if self.stop_timeout < 0:
            raise ValueError(f"host {self.host_id!r}: stop_timeout must be >= 0")
        if self.slice < 0:
            raise ValueError(f"host {self.host_id!r}: slice must be >= 0")


@dataclass(frozen=True)
class HostStats:
    """A snapshot of a host: processes holding a worker (``running``), spawned processes that
    have not had their first Step (``queued``), processes waiting in the run queue
    (``runnable``) and the worker threads alive (``threads``)."""

    state: HostState
    running: int
    queued: int
    runnable: int = 0
    threads: int = 0
    busy_seconds: float = 0.0


class Host:
    """One ``process.host``: its :class:`RunQueue` and its admission count. Thread-safe.

    At most ``queue_size`` spawned processes may be waiting for a worker for their Init (beyond
    the workers free now): :meth:`admit` raises :class:`HostQueueFull` beyond that. A process
    that has started holds nothing of the host while it waits.
    """

    def __init__(self, config: HostConfig, timers: Timers | None = None) -> None:
        self.config = config
        self.queue = RunQueue(config.host_id, config.workers, timers)
        self._lock = threading.Lock()
        self._state = HostState.STOPPED
        self._pending = 0

    @property
    def host_id(self) -> str:
        """The host's id."""
        return self.config.host_id

    @property
    def state(self) -> HostState:
        """The host's lifecycle state."""
        return self._state

    def stats(self) -> HostStats:
        """Current state and counts."""
        queue = self.queue.stats()
        with self._lock:
            return HostStats(
                self._state, queue.busy, self._pending, queue.runnable, queue.threads,
                queue.busy_seconds,
            )

    def set_state(self, state: HostState) -> None:
        """Moves the host to ``state``."""
        with self._lock:
            self._state = state

    def admit(self) -> None:
        """Admits one new process, counted until it starts (see :meth:`started`).

        Raises :class:`HostStoppedError` unless running, :class:`HostQueueFull` when
        ``queue_size`` spawned processes already wait for a worker to start, beyond the workers
        free now (waiting + busy workers >= workers + queue_size).
        """
        config = self.config
        busy = self.queue.busy
        with self._lock:
            if self._state is not HostState.RUNNING:
                raise HostStoppedError(f"host {config.host_id!r} is {self._state.value}")
            if self._pending + busy >= config.workers + config.queue_size:
                raise HostQueueFull(config.host_id, config.queue_size, config.workers)
            self._pending += 1

    def started(self) -> None:
        """One admitted process got a worker for its Init (or ended before it could)."""
        with self._lock:
            self._pending -= 1
