"""The process table: every live process's mailbox, monitors and links, behind one lock.

All routing goes through the table: delivering messages and events, monitoring, linking, and
exits. An exit is applied atomically under the lock (the record leaves the table, monitors get
EXIT, links get LINK_DOWN or fail in turn), so no event is lost or sent twice; the side effects
that may block or call into other code (interrupting bodies) run after the lock is released.

Here are the table's state, registering, lookups, counts and delivery; the rest of
:class:`ProcessTable` is mixins over the same lock and records: names (:mod:`.table_names`),
monitors and links (:mod:`.table_edges`), exits (:mod:`.table_exits`), start watches
(:mod:`.start_watch`) and edges whose other end is on another node (:mod:`.table_remote`). The
records themselves are in :mod:`.table_records`.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING

from wippy.actors.counters import TableCounters
from wippy.actors.events import Event, Received
from wippy.actors.pid import Pid
from wippy.actors.start_watch import StartTracking, StartWatch
from wippy.actors.table_edges import MonitorsAndLinks
from wippy.actors.table_exits import ProcessExits
from wippy.actors.table_names import NameRegistry, check_name
from wippy.actors.table_records import ExitInfo, Interruptible, ProcessRecord, TableStats
from wippy.actors.table_remote import RemoteEdges

if TYPE_CHECKING:
    from wippy.actors.remote import RemoteRouter

__all__ = [
    "ExitInfo",
    "Interruptible",
    "ProcessRecord",
    "ProcessTable",
    "TableStats",
    "check_name",
]


class ProcessTable(NameRegistry, MonitorsAndLinks, ProcessExits, StartTracking, RemoteEdges):
    """Maps pids to :class:`ProcessRecord` and routes between them; thread-safe.

    It also counts spawns, exits, delivered messages and tagged notifications, each under the
    lock its operation already holds (the table's, or the receiving mailbox's for messages).
    With a router (:meth:`set_router`, in a cluster) pids whose host is on another node are
    routed through it; the sets of a record may then hold such pids (see :mod:`.table_remote`).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._records: dict[Pid, ProcessRecord] = {}
        self._names: dict[str, Pid] = {}
        self._spawns: Counter[tuple[str, str]] = Counter()
        self._exits: Counter[tuple[str, str, str]] = Counter()
        self._notifications: Counter[tuple[str, str, str]] = Counter()
        self._messages_of_exited = 0  # messages delivered to processes that have exited
        self._router: RemoteRouter | None = None

    def set_router(self, router: RemoteRouter) -> None:
        """Routes pids that live on other nodes through ``router`` (set once, before use)."""
        self._router = router

    def _remote(self, pid: Pid) -> bool:
        router = self._router
        return router is not None and router.is_remote(pid)

    def _deliver_elsewhere(self, pid: Pid, event: Event) -> None:
        router = self._router
        if router is not None and router.is_remote(pid):
            router.deliver(pid, event)

    def _is_elsewhere(self, pid: Pid) -> bool:
        return self._remote(pid)

    def _watch_elsewhere(self, watcher: Pid, pid: Pid, ack: bool, watch: bool) -> bool:
        router = self._router
        if router is None or not router.is_remote(pid):
            return False
        if watch:
            router.watch_start(watcher, pid, ack)
        else:
            router.unwatch_start(watcher, pid, ack)
        return True

    def register(
        self,
        record: ProcessRecord,
        *,
        monitor_by: Pid | None = None,
        link_to: Pid | None = None,
        name: str | None = None,
        watches: Sequence[StartWatch] = (),
    ) -> bool:
        """Adds ``record``, atomically monitored by and/or linked to an existing process,
        registered as ``name`` and with ``watches`` on its start (so none can be missed).

        Returns False (nothing added) when ``monitor_by``/``link_to`` is no longer alive. A
        remote ``monitor_by``/``link_to`` (a spawn asked for by another node) is taken as alive;
        its node keeps its own side. Raises :class:`NameTakenError` (nothing added) when another
        live process has ``name``, and ValueError for a bad name.
        """
        if name is not None:
            check_name(name)
        with self._lock:
            for other in (monitor_by, link_to):
                if other is not None and other not in self._records and not self._remote(other):
                    return False
            if name is not None:
                self._take_name(name, record)
            self._records[record.pid] = record
            self._spawns[(record.pid.host, record.shown_kind)] += 1
            record.start_watchers.extend(w for w in watches if w not in record.start_watchers)
            if monitor_by is not None:
                record.monitors.add(monitor_by)
                parent = self._records.get(monitor_by)
                if parent is not None:
                    parent.monitoring.add(record.pid)
            if link_to is not None:
                record.links.add(link_to)
                parent = self._records.get(link_to)
                if parent is not None:
                    parent.links.add(record.pid)
            return True

    def live_records(self) -> dict[Pid, ProcessRecord]:
        """The live records by pid, for lock-free reads on hot paths (never mutate it)."""
        return self._records

    def get(self, pid: Pid) -> ProcessRecord | None:
        """The live record of ``pid``, or None when it has exited (or never existed)."""
        with self._lock:
            return self._records.get(pid)

    def is_alive(self, pid: Pid) -> bool:
        """True while ``pid`` has not exited (asking its node when it is remote)."""
        with self._lock:
            if pid in self._records:
                return True
        router = self._router
        return router is not None and router.is_remote(pid) and router.is_alive(pid)

    def pids(self, host: str | None = None) -> list[Pid]:
        """Live pids (on ``host`` when given), in creation order."""
        with self._lock:
            return sorted(p for p in self._records if host is None or p.host == host)

    def records(self) -> list[ProcessRecord]:
        """The live records, in creation order (a snapshot; read their fields, do not
        change them)."""
        with self._lock:
            records = list(self._records.values())
        records.sort(key=lambda r: r.pid)
        return records

    def counters(self) -> TableCounters:
        """A snapshot of what has been counted (see :class:`TableCounters`)."""
        with self._lock:
            messages = self._messages_of_exited + sum(
                r.mailbox.messages for r in self._records.values()
            )
            return TableCounters(
                dict(self._spawns), dict(self._exits), messages, dict(self._notifications)
            )

    def stats(self) -> TableStats:
        """Counts live processes and monitor/link edges (each link counted once per end)."""
        with self._lock:
            records = self._records.values()
            return TableStats(
                processes=len(self._records),
                monitors=sum(len(r.monitors) + len(r.monitoring) for r in records),
                links=sum(len(r.links) for r in records),
            )

    def deliver(self, pid: Pid, item: Received) -> bool:
        """Puts ``item`` in ``pid``'s mailbox; False when ``pid`` is gone (the item is dropped).

        Takes no table lock: the mailbox has its own, and an exit closes the mailbox (under the
        table lock) before anything else, so a put that loses that race returns False.
        """
        record = self._records.get(pid)  # a single dict read is atomic
        if record is not None:
            return record.mailbox.put(item)
        router = self._router
        return router is not None and router.is_remote(pid) and router.deliver(pid, item)
