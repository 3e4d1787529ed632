"""The runtime's own lifecycle: running, stopping, stopped; and stopping it (hosts in reverse
start order, the cluster, open handles, then waiting for every process actor and thread)."""

from __future__ import annotations

import enum
import logging
import threading
import time
from typing import TYPE_CHECKING

from wippy.actors.errors import RuntimeStoppedError
from wippy.actors.events import ProcessError
from wippy.actors.function_body import current_process
from wippy.actors.host import Host
from wippy.actors.programs import Programs
from wippy.actors.remote import Remote
from wippy.actors.scheduler import ThreadPool
from wippy.actors.table import ProcessTable
from wippy.actors.terminal import TerminalInput
from wippy.timers import KeyedTimers, Timers

logger = logging.getLogger(__name__)

_SHUTDOWN = ProcessError("terminated", "runtime stopped")


class RunState(enum.Enum):
    """Lifecycle of a runtime: processes and hosts can be added only while RUNNING."""

    RUNNING = "running"
    STOPPING = "stopping"
    STOPPED = "stopped"


class Stopping:
    """Mixin of :class:`~wippy.actors.Runtime`: its state (guarded by the runtime's lock) and
    :meth:`stop`."""

    _lock: threading.RLock
    _state: RunState
    _started_hosts: list[str]
    _hosts: dict[str, Host]
    _remote: Remote | None
    _table: ProcessTable
    _exits: threading.Condition
    _actors: int
    _pool: ThreadPool
    _timers: Timers
    _graces: KeyedTimers
    _terminal_input: TerminalInput | None
    _programs: Programs

    if TYPE_CHECKING:  # from the Runtime's other parts

        def stop_host(self, host_id: str) -> None: ...

        def _wait_exits(self, remaining: float) -> None: ...

    @property
    def stopped(self) -> bool:
        """True once :meth:`stop` has been called."""
        return self._state is not RunState.RUNNING

    def stop(self, join_timeout: float = 10.0) -> None:
        """Stops everything: hosts in reverse start order (CANCEL, grace, terminate), open
        handles, then waits (up to ``join_timeout`` s) until every process actor closed and every
        process thread ended, and stops the workers and timers.

        Function processes that ignore termination (stuck outside wippy calls) are logged as
        warnings if their threads do not end in time. Idempotent; never raises for that.
        """
        with self._lock:
            if self._state is not RunState.RUNNING:
                return
            self._state = RunState.STOPPING
            order = list(reversed(self._started_hosts))
        for host_id in order:
            self.stop_host(host_id)
        if self._remote is not None:
            try:
                self._remote.close()
            except Exception:
                logger.exception("stopping the cluster failed")
        for pid in self._table.pids():
            self._table.kill(pid, _SHUTDOWN)
        deadline = time.monotonic() + join_timeout
        own = 1 if _inside_process() else 0
        with self._exits:
            while self._actors > own:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    logger.warning("%d processes still closing after stop", self._actors - own)
                    break
                self._wait_exits(remaining)
        if not self._pool.join(max(0.0, deadline - time.monotonic())):
            logger.warning("%d process threads still running after stop", self._pool.running)
        self._pool.close()
        with self._lock:
            hosts = list(self._hosts.values())
        for host in hosts:
            host.queue.close(max(0.1, deadline - time.monotonic()))
        self._timers.close()
        self._graces.clear()
        if self._terminal_input is not None:
            self._terminal_input.close()
        with self._lock:
            self._state = RunState.STOPPED
        self._programs.close()
        logger.debug("runtime stopped")

    def _check_running(self) -> None:
        if self._state is not RunState.RUNNING:
            raise RuntimeStoppedError(f"the runtime is {self._state.value}")


def _inside_process() -> bool:
    """True when called from a function process's own thread (``stop()`` from a process)."""
    return current_process() is not None
