"""A process host: bounds how many processes run at once and how many may wait for a worker."""

from __future__ import annotations

import enum
import threading
from collections import deque
from dataclasses import dataclass

from wippy.actors.errors import HostQueueFull, HostStoppedError


class HostState(enum.Enum):
    """Lifecycle of a host: spawning is allowed only while RUNNING."""

    STOPPED = "stopped"
    RUNNING = "running"
    STOPPING = "stopping"


@dataclass(frozen=True)
class HostConfig:
    """A host's settings: ``workers`` run at once, ``queue_size`` may wait, ``stop_timeout`` s."""

    host_id: str
    workers: int = 16
    queue_size: int = 1024
    stop_timeout: float = 5.0

    def __post_init__(self) -> None:
        if self.workers < 1:
            raise ValueError(f"host {self.host_id!r}: workers must be >= 1, got {self.workers}")
        if self.queue_size < 0:
            raise ValueError(f"host {self.host_id!r}: queue_size must be >= 0")
        if self.stop_timeout < 0:
            raise ValueError(f"host {self.host_id!r}: stop_timeout must be >= 0")


@dataclass(frozen=True)
class HostStats:
    """A snapshot of a host: processes holding a worker and processes waiting for one."""

    state: HostState
    running: int
    queued: int


class _TicketState(enum.Enum):
    QUEUED = "queued"  # admitted or waiting for a worker; counts against queue_size
    RUNNING = "running"  # holds a worker
    IDLE = "idle"  # between steps; holds nothing
    DONE = "done"


class Ticket:
    """One process's claim on its host's workers, from spawn until the process closes.

    Created queued (in spawn order) by :meth:`Host.admit`; :meth:`acquire` waits for a worker,
    :meth:`release` gives it back, :meth:`cancel` aborts a wait from any thread, :meth:`close`
    ends the claim. Used by one thread except for :meth:`cancel`.
    """

    def __init__(self, host: Host) -> None:
        self._host = host
        self._state = _TicketState.QUEUED
        self._granted = threading.Event()
        self._cancelled = False

    def acquire(self) -> bool:
        """Blocks until this process may run; False when cancelled (or closed) instead."""
        return self._host._acquire(self)

    def release(self) -> None:
        """Gives the worker back (no-op unless held)."""
        self._host._release(self)

    def cancel(self) -> None:
        """Makes a pending or future :meth:`acquire` return False; callable from any thread."""
        self._host._cancel(self)

    def close(self) -> None:
        """Ends the claim: releases a held worker or leaves the queue. Idempotent."""
        self._host._close(self)


class Host:
    """Counts a ``process.host``'s workers and queue. Thread-safe.

    ``workers`` processes may run their body at once; processes admitted (spawned) or waiting for
    a worker count as queued, and at most ``workers + queue_size`` processes may be running or
    queued together: :meth:`admit` raises :class:`HostQueueFull` beyond that.
    """

    def __init__(self, config: HostConfig) -> None:
        self.config = config
        self._lock = threading.Lock()
        self._state = HostState.STOPPED
        self._running = 0
        self._queued = 0
        self._waiters: deque[Ticket] = deque()

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
        with self._lock:
            return HostStats(self._state, self._running, self._queued)

    def set_state(self, state: HostState) -> None:
        """Moves the host to ``state``."""
        with self._lock:
            self._state = state

    def admit(self) -> Ticket:
        """Admits one new process (counted as queued until it gets a worker).

        Raises :class:`HostStoppedError` unless running, :class:`HostQueueFull` when the workers
        are busy and ``queue_size`` processes already wait.
        """
        config = self.config
        with self._lock:
            if self._state is not HostState.RUNNING:
                raise HostStoppedError(f"host {config.host_id!r} is {self._state.value}")
            if self._running + self._queued >= config.workers + config.queue_size:
                raise HostQueueFull(config.host_id, config.queue_size, config.workers)
            self._queued += 1
            ticket = Ticket(self)
            self._waiters.append(ticket)  # queue position is spawn order
            self._dispatch()
            return ticket

    def _acquire(self, ticket: Ticket) -> bool:
        with self._lock:
            if ticket._cancelled or ticket._state is _TicketState.DONE:
                return False
            if ticket._state is _TicketState.RUNNING:
                return True
            if ticket._state is _TicketState.IDLE:
                ticket._state = _TicketState.QUEUED
                self._queued += 1
                ticket._granted.clear()
                self._waiters.append(ticket)
                self._dispatch()
        ticket._granted.wait()
        with self._lock:
            return ticket._state is _TicketState.RUNNING and not ticket._cancelled

    def _dispatch(self) -> None:
        while self._waiters and self._running < self.config.workers:
            ticket = self._waiters.popleft()
            self._queued -= 1
            self._running += 1
            ticket._state = _TicketState.RUNNING
            ticket._granted.set()

    def _release(self, ticket: Ticket) -> None:
        with self._lock:
            if ticket._state is _TicketState.RUNNING:
                ticket._state = _TicketState.IDLE
                self._running -= 1
                self._dispatch()

    def _cancel(self, ticket: Ticket) -> None:
        with self._lock:
            ticket._cancelled = True
            if ticket in self._waiters:
                self._waiters.remove(ticket)
                ticket._state = _TicketState.IDLE
                self._queued -= 1
            ticket._granted.set()

    def _close(self, ticket: Ticket) -> None:
        with self._lock:
            state = ticket._state
            ticket._state = _TicketState.DONE
            if state is _TicketState.RUNNING:
                self._running -= 1
                self._dispatch()
            elif state is _TicketState.QUEUED:
                if ticket in self._waiters:
                    self._waiters.remove(ticket)
                self._queued -= 1
            ticket._granted.set()
