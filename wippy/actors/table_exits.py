"""Exits: a process leaving the table, and what that does to the processes around it.

An exit is applied atomically under the table lock: the record leaves the table, its mailbox
closes, its names are freed, monitors get EXIT, links get LINK_DOWN or fail in turn (a failure
cascades along links in the same pass), so no event is lost or sent twice. The side effects that
may block or call into other code (interrupting a killed body, exit callbacks) run after the lock
is released.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter, deque
from typing import TYPE_CHECKING, Any

from wippy.actors.counters import NORMAL_EXIT
from wippy.actors.events import EXIT, LINK_DOWN, LINKED, Event, ProcessError
from wippy.actors.pid import Pid
from wippy.actors.table_records import ExitInfo, ProcessRecord

if TYPE_CHECKING:
    from wippy.actors.remote import RemoteRouter

logger = logging.getLogger("wippy.actors.table")  # exits are logged as the table's


class ProcessExits:
    """The exits part of :class:`~wippy.actors.table.ProcessTable` (its lock, records, names,
    router and exit counts)."""

    _lock: threading.Lock
    _records: dict[Pid, ProcessRecord]
    _names: dict[str, Pid]
    _router: RemoteRouter | None
    _exits: Counter[tuple[str, str, str]]
    _messages_of_exited: int

    def exit(self, pid: Pid, value: Any = None, error: ProcessError | None = None) -> bool:
        """Records that ``pid`` finished on its own; False when it had already exited."""
        return self._exit(pid, value, error, killed=False)

    def kill(self, pid: Pid, error: ProcessError) -> bool:
        """Makes ``pid`` exit now with ``error`` and interrupts its body; False when gone."""
        return self._exit(pid, None, error, killed=True)

    def _exit(self, pid: Pid, value: Any, error: ProcessError | None, killed: bool) -> bool:
        exited: list[ProcessRecord] = []
        with self._lock:
            if pid not in self._records:
                return False
            work: deque[tuple[Pid, Any, ProcessError | None, bool]] = deque()
            work.append((pid, value, error, killed))
            while work:
                self._exit_one(*work.popleft(), work, exited)
        for record in exited:
            self._after_exit(record)
        return True

    def _exit_one(
        self,
        pid: Pid,
        value: Any,
        error: ProcessError | None,
        killed: bool,
        work: deque[tuple[Pid, Any, ProcessError | None, bool]],
        exited: list[ProcessRecord],
    ) -> None:
        """Takes ``pid`` out of the table (the lock held): appends its record to ``exited``
        and the links it fails to ``work``."""
        record = self._records.pop(pid, None)
        if record is None:
            return
        record.exit = ExitInfo(value, error, killed)
        record.mailbox.close()
        self._messages_of_exited += record.mailbox.messages  # closed: no more will arrive
        self._exits[(pid.host, record.shown_kind, error.kind if error else NORMAL_EXIT)] += 1
        exited.append(record)
        router = self._router
        for name in record.names:
            if self._names.get(name) == pid:
                del self._names[name]
                if router is not None:
                    router.name_removed(name, pid)
        event = Event(EXIT, pid, value=value, error=error)
        for watcher in record.monitors:
            other = self._records.get(watcher)
            if other is not None:
                other.monitoring.discard(pid)
                other.mailbox.put(event)
            elif router is not None and router.is_remote(watcher):
                router.exit_notice(watcher, event)
        for target in record.monitoring:
            other = self._records.get(target)
            if other is not None:
                other.monitors.discard(pid)
            elif router is not None and router.is_remote(target):
                router.unmonitor_notice(pid, target)
        for linked in record.links:
            other = self._records.get(linked)
            if other is None:
                if router is not None and router.is_remote(linked):
                    router.link_notice(linked, pid, error)
                continue
            other.links.discard(pid)
            if error is None:
                continue
            if other.trap_links:
                other.mailbox.put(Event(LINK_DOWN, pid, error=error))
            else:
                work.append((linked, None, LINKED, True))
        record.monitors.clear()
        record.monitoring.clear()
        record.links.clear()
        record.start_watchers.clear()  # they monitor it (or time out): the EXIT is the answer

    @staticmethod
    def _after_exit(record: ProcessRecord) -> None:
        """Logs the exit of ``record``, interrupts its body when it was killed and runs its
        exit callbacks (outside the lock)."""
        info = record.exit
        assert info is not None
        if info.error is not None:
            logger.info("process %s exited with error %s", record.pid, info.error)
            if logger.isEnabledFor(logging.DEBUG) and info.error.details:
                logger.debug("process %s failed:\n%s", record.pid, info.error.details)
        else:
            logger.debug("process %s exited normally", record.pid)
        if info.killed and record.control is not None:
            try:
                record.control.interrupt(info.error.kind if info.error else "terminated")
            except Exception:
                logger.exception("interrupting %s failed", record.pid)
        for callback in record.on_exit:
            try:
                callback(record)
            except Exception:
                logger.exception("exit callback of %s failed", record.pid)
