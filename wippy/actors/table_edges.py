"""Monitors and links: the edges between processes along which exits travel.

A monitor is one-way: the watcher gets EXIT when the target exits (at once, ``noproc``, when it
is gone already). A link is two-way: when either end fails, the other fails too (kind
``linked``) or, trapping links, gets LINK_DOWN. What an exit does along these edges is in
:mod:`.table_exits`; the other end's half of an edge to another node is in :mod:`.table_remote`.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from typing import TYPE_CHECKING

from wippy.actors.events import EXIT, LINK_DOWN, NOPROC, Event
from wippy.actors.pid import Pid

if TYPE_CHECKING:
    from wippy.actors.remote import RemoteRouter
    from wippy.actors.table_records import ProcessRecord


class MonitorsAndLinks:
    """The monitors and links part of :class:`~wippy.actors.table.ProcessTable` (its lock,
    records, router and notification counts)."""

    _lock: threading.Lock
    _records: dict[Pid, ProcessRecord]
    _router: RemoteRouter | None
    _notifications: Counter[tuple[str, str, str]]
    _remote: Callable[[Pid], bool]

    def is_monitoring(self, watcher: Pid, pid: Pid) -> bool | None:
        """True when ``watcher`` monitors ``pid``, False when not, None when ``pid`` is gone
        (whether an EXIT of it is queued for ``watcher`` then depends on the past)."""
        with self._lock:
            record = self._records.get(watcher)
            if pid not in self._records and not self._remote(pid):
                return None
            return record is not None and pid in record.monitoring

    def notify_monitors(
        self, pid: Pid, event: Event, count_as: tuple[str, str] | None = None
    ) -> int:
        """Delivers ``event`` to every process monitoring ``pid``; returns how many got it.

        ``count_as=(source, tag)`` counts it in :meth:`counters` under ``(source, event.type,
        tag)``, whether or not anyone monitors ``pid`` (supervisors count their reports so).
        """
        with self._lock:
            record = self._records.get(pid)
            if record is None:
                return 0
            if count_as is not None:
                self._notifications[(count_as[0], event.type, count_as[1])] += 1
            count = 0
            for watcher in record.monitors:
                other = self._records.get(watcher)
                if other is not None:
                    count += other.mailbox.put(event)
                elif self._router is not None and self._router.is_remote(watcher):
                    count += self._router.deliver(watcher, event)
            return count

    def monitor(self, watcher: Pid, target: Pid) -> None:
        """Makes ``watcher`` get EXIT when ``target`` exits; EXIT "noproc" now if it is gone."""
        with self._lock:
            me = self._records.get(watcher)
            if me is None or watcher == target:
                return
            other = self._records.get(target)
            remote = other is None and self._remote(target)
            if other is None and not remote:
                me.mailbox.put(Event(EXIT, target, error=NOPROC))
                return
            if other is not None:
                other.monitors.add(watcher)
            me.monitoring.add(target)
        if remote and self._router is not None:
            self._router.monitor(watcher, target)

    def unmonitor(self, watcher: Pid, target: Pid) -> None:
        """Removes the monitor; an EXIT already delivered stays in the mailbox."""
        with self._lock:
            me = self._records.get(watcher)
            if me is not None:
                me.monitoring.discard(target)
            other = self._records.get(target)
            if other is not None:
                other.monitors.discard(watcher)
        if other is None and self._remote(target) and self._router is not None:
            self._router.unmonitor(watcher, target)

    def link(self, a: Pid, b: Pid) -> None:
        """Links ``a`` and ``b`` both ways; LINK_DOWN "noproc" to ``a`` now if ``b`` is gone."""
        with self._lock:
            me = self._records.get(a)
            if me is None or a == b:
                return
            other = self._records.get(b)
            remote = other is None and self._remote(b)
            if other is None and not remote:
                me.mailbox.put(Event(LINK_DOWN, b, error=NOPROC))
                return
            me.links.add(b)
            if other is not None:
                other.links.add(a)
        if remote and self._router is not None:
            self._router.link(a, b)

    def unlink(self, a: Pid, b: Pid) -> None:
        """Removes the link between ``a`` and ``b`` (both directions); no-op when absent."""
        with self._lock:
            for x, y in ((a, b), (b, a)):
                record = self._records.get(x)
                if record is not None:
                    record.links.discard(y)
        if self._router is not None and a in self._records and self._remote(b):
            self._router.unlink(a, b)

    def set_trap_links(self, pid: Pid, trap: bool) -> None:
        """Sets whether ``pid`` receives LINK_DOWN events instead of failing with its links."""
        with self._lock:
            record = self._records.get(pid)
            if record is not None:
                record.trap_links = trap
