"""Watching a process's start: OTP's ``init_ack`` for wippy processes.

A process has *started* once its Init completed (a WebAssembly guest instantiated, a function
entered: :meth:`StartTracking.mark_started`), and has *acked* once it called
``Process.ready(value)`` (:meth:`StartTracking.mark_ready`; the first call counts, later ones
are ignored). A :class:`StartWatch` asks for one ``Event(STARTED, pid)`` to its watcher at the
first of those it waits for (``ack``: the ack; else the start), its ``reason`` saying which
(``"ack"`` or ``"init"``). Watches are given at spawn (so
none can be missed, even by a process that exits at once) or later
(:meth:`StartTracking.watch_start`, answered at once when that already happened). A process
that exits first sends no STARTED: its EXIT answers whoever monitors it.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from wippy.actors.events import STARTED, Event
from wippy.actors.pid import Pid

if TYPE_CHECKING:
    from wippy.actors.table_records import ProcessRecord


@dataclass(frozen=True)
class StartWatch:
    """``watcher`` gets ``Event(STARTED, pid)`` once the process started (with ``ack``: once
    it acked, the event's ``value`` being the ack's)."""

    watcher: Pid
    ack: bool = False


def _reason(ack: bool) -> str:
    return "ack" if ack else "init"


class StartTracking:
    """The start-watching half of :class:`~wippy.actors.table.ProcessTable` (its lock and
    records)."""

    _lock: threading.Lock
    _records: dict[Pid, ProcessRecord]

    def mark_started(self, pid: Pid) -> None:
        """Records that ``pid``'s Init completed: watchers not waiting for an ack get STARTED."""
        with self._lock:
            record = self._records.get(pid)
            if record is None or record.started:
                return
            record.started = True
            self._notify(record, ack=False, value=None)

    def mark_ready(self, pid: Pid, value: Any = None) -> bool:
        """Records ``pid``'s ack of its start: every watcher gets ``Event(STARTED, pid,
        value=value)``. False when it had acked already or is gone (the ack is ignored)."""
        with self._lock:
            record = self._records.get(pid)
            if record is None or record.ready:
                return False
            record.started = True  # a process that can ack has certainly been entered
            record.ready, record.ready_value = True, value
            self._notify(record, ack=False, value=None)
            self._notify(record, ack=True, value=value)
            return True

    def _notify(self, record: ProcessRecord, *, ack: bool, value: Any) -> None:
        waiting = [w for w in record.start_watchers if w.ack == ack]
        if not waiting:
            return
        record.start_watchers = [w for w in record.start_watchers if w.ack != ack]
        event = Event(STARTED, record.pid, value=value, reason=_reason(ack))
        for watch in waiting:
            other = self._records.get(watch.watcher)
            if other is not None:
                other.mailbox.put(event)
            else:
                self._deliver_elsewhere(watch.watcher, event)

    def _deliver_elsewhere(self, pid: Pid, event: Event) -> None:
        """Delivers ``event`` to ``pid`` when it lives on another node (the table routes it;
        nothing here)."""

    def _is_elsewhere(self, pid: Pid) -> bool:
        """True when ``pid`` lives on another node (the table knows; never here)."""
        return False

    def _watch_elsewhere(self, watcher: Pid, pid: Pid, ack: bool, watch: bool) -> bool:
        """Asks (``watch``) or stops asking another node for the start of its ``pid``; False
        when ``pid`` does not live on another node (the table knows; never here)."""
        return False

    def watch_start(self, watcher: Pid, pid: Pid, *, ack: bool = False) -> bool:
        """Adds ``StartWatch(watcher, ack)`` to ``pid`` (no-op when it has it already); its
        STARTED comes at once when ``pid`` started (acked) already. False (nothing will come)
        when ``pid`` or ``watcher`` is gone."""
        watch = StartWatch(watcher, ack)
        with self._lock:
            record = self._records.get(pid)
            me = self._records.get(watcher)
            if record is None:  # gone, or on another node: its node answers
                return me is not None and self._watch_elsewhere(watcher, pid, ack, True)
            if me is None and not self._is_elsewhere(watcher):
                return False
            if record.ready or (record.started and not ack):
                value = record.ready_value if ack else None
                event = Event(STARTED, pid, value=value, reason=_reason(ack))
                if me is not None:
                    me.mailbox.put(event)
                else:
                    self._deliver_elsewhere(watcher, event)
            elif watch not in record.start_watchers:
                record.start_watchers.append(watch)
            return True

    def unwatch_start(self, watcher: Pid, pid: Pid, *, ack: bool = False) -> None:
        """Removes ``StartWatch(watcher, ack)`` from ``pid`` (a STARTED delivered already
        stays)."""
        watch = StartWatch(watcher, ack)
        with self._lock:
            record = self._records.get(pid)
            if record is not None:
                record.start_watchers = [w for w in record.start_watchers if w != watch]
            else:
                self._watch_elsewhere(watcher, pid, ack, False)
