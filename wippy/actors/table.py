"""The process table: every live process's mailbox, monitors and links, behind one lock.

All routing goes through the table: delivering messages and events, monitoring, linking, and
exits. An exit is applied atomically under the lock (the record leaves the table, monitors get
EXIT, links get LINK_DOWN or fail in turn), so no event is lost or sent twice; the side effects
that may block or call into other code (interrupting bodies) run after the lock is released.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from wippy.actors.counters import NORMAL_EXIT, TableCounters
from wippy.actors.errors import NameTakenError, ProcessExitedError, UnknownNameError
from wippy.actors.events import EXIT, LINK_DOWN, LINKED, NOPROC, Event, ProcessError, Received
from wippy.actors.mailbox import Mailbox
from wippy.actors.pid import Pid
from wippy.actors.start_watch import StartTracking, StartWatch
from wippy.actors.table_remote import RemoteEdges

if TYPE_CHECKING:
    from wippy.actors.remote import RemoteRouter
    from wippy.actors.scheduler import Permit

logger = logging.getLogger(__name__)


def check_name(name: object) -> None:
    """Raises ValueError unless ``name`` can be registered: a non-empty string that does not
    start with ``<`` (which would read as a pid)."""
    if not isinstance(name, str) or not name or name.startswith("<"):
        raise ValueError(
            f"a process name must be a non-empty string not starting with '<', got {name!r}"
        )


class Interruptible(Protocol):
    """What the table calls to stop a killed process's body (from any thread)."""

    def interrupt(self, reason: str) -> None:
        """Asks the body to stop as soon as it can."""

    @property
    def observes_cancel(self) -> bool:
        """True when the process can see a CANCEL (and so gets a grace period)."""

    def activity(self) -> tuple[str, str | None]:
        """What the process is doing now: ``(state, on)`` (see ``wippy.actors.body.Activity``)."""


@dataclass(frozen=True)
class ExitInfo:
    """How a process ended: its ``value`` or ``error``, and whether it was killed from outside."""

    value: Any
    error: ProcessError | None
    killed: bool


@dataclass(eq=False)
class ProcessRecord:
    """One process's routing state; mutated only under the table lock (``exit`` is set once)."""

    pid: Pid
    kind: str
    """"function", "wasm" or "handle" (a Python-side :class:`~wippy.actors.Process`)."""
    mailbox: Mailbox = field(default_factory=Mailbox)
    monitors: set[Pid] = field(default_factory=set)
    """Processes that monitor this one."""
    monitoring: set[Pid] = field(default_factory=set)
    """Processes this one monitors."""
    links: set[Pid] = field(default_factory=set)
    trap_links: bool = False
    control: Interruptible | None = None
    permit: Permit | None = None
    """A threaded body's claim on its host's workers (None otherwise); released while waiting."""
    started: bool = False
    """True once its Init completed (a guest instantiated, a function entered)."""
    ready: bool = False
    """True once it acknowledged its start itself (``Process.ready``)."""
    ready_value: Any = None
    """What it passed to ``Process.ready``."""
    start_watchers: list[StartWatch] = field(default_factory=list)
    """Processes waiting for its start (see :mod:`wippy.actors.start_watch`)."""
    on_started: list[Callable[[ProcessRecord], None]] = field(default_factory=list)
    """Called (once) when the process has started."""
    exit: ExitInfo | None = None
    on_exit: list[Callable[[ProcessRecord], None]] = field(default_factory=list)
    """Called (outside the lock, once) after the process left the table."""
    names: set[str] = field(default_factory=set)
    """The names registered to it (freed when it exits)."""
    entry: str | None = None
    """The registry entry (or function name) it runs, for introspection."""
    parent: Pid | None = None
    """The process that spawned it, if any (for introspection: the process tree)."""
    role: str | None = None
    """What its function says it is (``supervisor``, ``service``: see
    :func:`~wippy.actors.process_role`), shown instead of ``kind``."""
    spawned_at: float = field(default_factory=time.time)
    """When it was created (``time.time()``)."""

    @property
    def shown_kind(self) -> str:
        """Its kind for introspection: its ``role`` when it has one, else its ``kind``."""
        return self.role or self.kind


@dataclass(frozen=True)
class TableStats:
    """Sizes of the table, for leak checks: live processes and monitor/link edges."""

    processes: int
    monitors: int
    links: int


class ProcessTable(StartTracking, RemoteEdges):
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

    # -- names --------------------------------------------------------------------------------

    def register_name(self, name: str, pid: Pid) -> None:
        """Registers ``name`` for the live process ``pid`` until it exits or unregisters it.

        Raises :class:`NameTakenError` when another live process has it, ValueError for a name
        that is empty or looks like a pid, :class:`ProcessExitedError` when ``pid`` is gone.
        """
        check_name(name)
        with self._lock:
            record = self._records.get(pid)
            if record is None:
                raise ProcessExitedError(f"process {pid} has exited")
            self._take_name(name, record)

    def _take_name(self, name: str, record: ProcessRecord) -> None:
        owner = self._names.get(name)
        if owner is None and self._router is not None:
            owner = self._router.whereis(name)
        if owner is not None and owner != record.pid:
            raise NameTakenError(name, owner)
        self._names[name] = record.pid
        record.names.add(name)
        if self._router is not None:
            self._router.name_added(name, record.pid)

    def unregister_name(self, name: str, pid: Pid | None = None) -> bool:
        """Frees ``name`` (only if registered to ``pid``, when given); False when it was not."""
        with self._lock:
            owner = self._names.get(name)
            if owner is None or (pid is not None and owner != pid):
                return False
            del self._names[name]
            record = self._records.get(owner)
            if record is not None:
                record.names.discard(name)
            if self._router is not None:
                self._router.name_removed(name, owner)
            return True

    def whereis(self, name: str) -> Pid | None:
        """The live process registered as ``name`` (here or, in a cluster, on another node),
        or None."""
        pid = self._names.get(name)
        if pid is None and self._router is not None:
            return self._router.whereis(name)
        return pid

    def resolve(self, target: Pid | str) -> Pid:
        """``target`` as a pid: a pid, a pid string (``<host.17>``) or a registered name.

        Raises :class:`UnknownNameError` for a name no live process has (or a bad pid string).
        """
        if isinstance(target, Pid):
            return target
        if isinstance(target, str):
            if target.startswith("<"):
                try:
                    return Pid.parse(target)
                except ValueError as exc:
                    raise UnknownNameError(str(exc)) from None
            pid = self.whereis(target)
            if pid is not None:
                return pid
            raise UnknownNameError(f"no process is registered as {target!r}")
        raise TypeError(f"expected a pid or a process name, got {target!r}")

    def names(self) -> dict[str, Pid]:
        """Every registered name and its process."""
        with self._lock:
            return dict(self._names)

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

    def is_monitoring(self, watcher: Pid, pid: Pid) -> bool | None:
        """True when ``watcher`` monitors ``pid``, False when not, None when ``pid`` is gone
        (whether an EXIT of it is queued for ``watcher`` then depends on the past)."""
        with self._lock:
            record = self._records.get(watcher)
            if pid not in self._records and not self._remote(pid):
                return None
            return record is not None and pid in record.monitoring

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
