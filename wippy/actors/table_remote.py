"""What another node does to this node's process table: the table's half of monitors and
links across nodes, and what a lost node leaves behind.

A record's ``monitors``, ``monitoring`` and ``links`` may hold pids of other nodes. The node of
the watched process keeps "node X watches pid P" (P's ``monitors``/``links`` hold X's pid) and,
when P exits, sends the EXIT or the link signal back, which :meth:`RemoteEdges.remote_exit` and
:meth:`RemoteEdges.remote_link_exit` apply here. When a node is lost, :meth:`RemoteEdges.peer_lost`
fires what this node watched there, with the error kind the cluster gives (``noconnection``).
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from wippy.actors.events import EXIT, LINK_DOWN, LINKED, Event, ProcessError
from wippy.actors.pid import Pid

if TYPE_CHECKING:
    from wippy.actors.table_records import ProcessRecord

_Work = deque[tuple[Pid, Any, "ProcessError | None", bool]]


class RemoteEdges:
    """Mixin of :class:`~wippy.actors.table.ProcessTable`: monitor and link edges whose other
    end is on another node. Every method takes the table lock; none raises."""

    _lock: threading.Lock
    _records: dict[Pid, ProcessRecord]
    # exits cascade as :class:`~wippy.actors.table_exits.ProcessExits` applies them
    _exit_one: Callable[[Pid, Any, ProcessError | None, bool, _Work, list[ProcessRecord]], None]
    _after_exit: Callable[[ProcessRecord], None]

    def remote_monitor(self, watcher: Pid, target: Pid) -> bool:
        """The remote ``watcher`` monitors the local ``target``; False when it is gone."""
        with self._lock:
            record = self._records.get(target)
            if record is None:
                return False
            record.monitors.add(watcher)
            return True

    def remote_unmonitor(self, watcher: Pid, target: Pid) -> None:
        """The remote ``watcher`` no longer monitors the local ``target``."""
        with self._lock:
            record = self._records.get(target)
            if record is not None:
                record.monitors.discard(watcher)

    def remote_link(self, remote: Pid, local: Pid) -> bool:
        """Links the local ``local`` to the remote ``remote``; False when ``local`` is gone."""
        with self._lock:
            record = self._records.get(local)
            if record is None:
                return False
            record.links.add(remote)
            return True

    def remote_exit(self, watcher: Pid, event: Event) -> None:
        """Delivers the EXIT of a remote process to the local ``watcher`` while it monitors it
        (not after ``unmonitor``: the EXIT may have been on its way)."""
        with self._lock:
            record = self._records.get(watcher)
            if record is None or event.pid not in record.monitoring:
                return
            record.monitoring.discard(event.pid)
            record.mailbox.put(event)

    def remote_link_gone(self, local: Pid, remote: Pid, error: ProcessError) -> None:
        """A link from ``local`` could not be made (``remote`` or its node is gone): a
        LINK_DOWN with ``error``, without failing ``local`` (as a ``noproc`` link)."""
        with self._lock:
            record = self._records.get(local)
            if record is None:
                return
            record.links.discard(remote)
            record.mailbox.put(Event(LINK_DOWN, remote, error=error))

    def remote_link_exit(self, local: Pid, remote: Pid, error: ProcessError | None) -> bool:
        """The remote ``remote`` linked to ``local`` exited: on an error ``local`` gets
        LINK_DOWN (trapping) or fails with kind ``linked``. True when ``local`` was linked."""
        exited: list[ProcessRecord] = []
        with self._lock:
            record = self._records.get(local)
            if record is None or remote not in record.links:
                return False
            record.links.discard(remote)
            if error is not None:
                if record.trap_links:
                    record.mailbox.put(Event(LINK_DOWN, remote, error=error))
                else:
                    self._cascade([(local, None, LINKED, True)], exited)
        for gone in exited:
            self._after_exit(gone)
        return True

    def add_remote_watch(self, watcher: Pid, pid: Pid, *, monitor: bool, link: bool) -> bool:
        """Records that the local ``watcher`` monitors and/or is linked to the remote ``pid``
        it just spawned; False when ``watcher`` has exited meanwhile."""
        with self._lock:
            record = self._records.get(watcher)
            if record is None:
                return False
            if monitor:
                record.monitoring.add(pid)
            if link:
                record.links.add(pid)
            return True

    def watching(self, watcher: Pid, pid: Pid) -> bool:
        """True when the local ``watcher`` monitors or is linked to ``pid``."""
        with self._lock:
            record = self._records.get(watcher)
            return record is not None and (pid in record.monitoring or pid in record.links)

    def peer_lost(self, lost: Callable[[Pid], bool], error: ProcessError) -> int:
        """A node is lost: every local monitor of its processes (``lost(pid)``) gets EXIT with
        ``error``, every link LINK_DOWN (trapping) or fails its process (kind ``linked``), and
        their monitors of local processes are dropped. Returns how many edges fired."""
        fired = 0
        exited: list[ProcessRecord] = []
        with self._lock:
            work: list[tuple[Pid, Any, ProcessError | None, bool]] = []
            for record in list(self._records.values()):
                gone = {w for w in record.monitors if lost(w)}
                record.monitors.difference_update(gone)
                for target in sorted(t for t in record.monitoring if lost(t)):
                    record.monitoring.discard(target)
                    record.mailbox.put(Event(EXIT, target, error=error))
                    fired += 1
                for linked in sorted(t for t in record.links if lost(t)):
                    record.links.discard(linked)
                    fired += 1
                    if record.trap_links:
                        record.mailbox.put(Event(LINK_DOWN, linked, error=error))
                    else:
                        work.append((record.pid, None, LINKED, True))
            self._cascade(work, exited)
        for record in exited:
            self._after_exit(record)
        return fired

    def _cascade(
        self, first: list[tuple[Pid, Any, ProcessError | None, bool]],
        exited: list[ProcessRecord],
    ) -> None:
        """Exits ``first`` and whatever their links take down (the table lock held)."""
        work: _Work = deque(first)
        while work:
            self._exit_one(*work.popleft(), work, exited)
