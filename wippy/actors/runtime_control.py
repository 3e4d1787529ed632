"""Ending processes: CANCEL with a grace period (then terminate), terminate at once, draining a
group of processes, and the bookkeeping of exits (grace timers dropped, waiters woken)."""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable

from wippy.actors.events import CANCEL, SHUTDOWN_KIND, TERMINATED, Event, ProcessError
from wippy.actors.host import Host
from wippy.actors.pid import Pid
from wippy.actors.process import Process
from wippy.actors.remote import Remote
from wippy.actors.table import ProcessRecord, ProcessTable
from wippy.timers import KeyedTimers

logger = logging.getLogger(__name__)


class ProcessControl:
    """Mixin of :class:`~wippy.actors.Runtime`: cancelling and terminating processes, and what
    happens when one exits (``_exits`` is the condition that exits and actor closes notify)."""

    _lock: threading.RLock
    _exits: threading.Condition
    _exit_waiters: int
    _hosts: dict[str, Host]
    _handles: dict[Pid, Process]
    _graces: KeyedTimers
    _table: ProcessTable
    _remote: Remote | None
    _default_stop_timeout: float

    def cancel(self, pid: Pid, reason: str, grace: float | None, sender: Pid) -> bool:
        """CANCEL for ``pid``, then terminated after ``grace`` s (default: its host's
        ``stop_timeout``); a process that cannot see a CANCEL ends at once (kind ``shutdown``,
        as an Erlang process that does not trap exits). False when ``pid`` is gone."""
        record = self._table.get(pid)
        if record is None:
            if self._remote is not None and self._remote.is_remote(pid):
                return self._remote.cancel(pid, reason, grace, sender)
            return False
        control = record.control
        if control is not None and not control.observes_cancel:
            error = ProcessError(SHUTDOWN_KIND, f"cancelled ({reason})")
            return self._table.kill(pid, error)
        if not self._table.deliver(pid, Event(CANCEL, sender, reason=reason)):
            return False
        if grace is None:
            host = self._hosts.get(pid.host)
            grace = host.config.stop_timeout if host else self._default_stop_timeout
        if math.isinf(grace):
            return True
        self._graces.start(pid, grace, lambda: self._expire(pid))
        if not self._table.is_alive(pid):  # exited before the timer was recorded
            self._graces.drop(pid)
        return True

    def _expire(self, pid: Pid) -> None:
        if self._table.kill(pid, TERMINATED):
            logger.info("process %s did not exit within its cancel grace period", pid)

    def terminate(self, pid: Pid | str) -> bool:
        """Ends ``pid`` (or the process registered under a name) now (error kind
        ``terminated``); False when it is gone. Raises UnknownNameError for an unknown name."""
        pid = self._table.resolve(pid)
        if self._table.kill(pid, TERMINATED):
            return True
        return self._remote is not None and self._remote.is_remote(pid) and (
            self._remote.terminate(pid)
        )

    def _on_exit(self, record: ProcessRecord) -> None:
        self._graces.drop(record.pid)
        if record.kind == "handle":
            with self._lock:
                self._handles.pop(record.pid, None)
        with self._exits:  # under the lock: a drain checking live() cannot miss this exit
            if self._exit_waiters:
                self._exits.notify_all()

    def _wait_exits(self, remaining: float) -> None:
        """Waits (``_exits`` held) until a process exits or closes, or ``remaining`` s pass."""
        self._exit_waiters += 1
        try:
            self._exits.wait(remaining)
        finally:
            self._exit_waiters -= 1

    def _drain(self, live: Callable[[], list[Pid]], grace: float, reason: str) -> None:
        """CANCELs the ``live`` processes (ending at once those that cannot see it), waits up
        to ``grace`` s, then terminates the rest."""
        error = ProcessError(SHUTDOWN_KIND, f"cancelled ({reason})")
        for pid in live():
            record = self._table.get(pid)
            control = record.control if record is not None else None
            if control is not None and not control.observes_cancel:
                self._table.kill(pid, error)
            else:
                self._table.deliver(pid, Event(CANCEL, pid, reason=reason))
        deadline = time.monotonic() + grace
        with self._exits:
            while live():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._wait_exits(remaining)
        for pid in live():
            if self._table.kill(pid, TERMINATED):
                logger.info("process %s terminated: it did not exit after CANCEL", pid)
