"""Looking at a runtime from outside: its table sizes and counters (:class:`RuntimeStats`,
:class:`~wippy.actors.RuntimeCounters`), its live processes, and finding one by name."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from wippy.actors.events import SUPERVISION
from wippy.actors.introspect import FuelMeters, ProcessInfo, RuntimeCounters, describe_all
from wippy.actors.pid import Pid
from wippy.actors.process import Process
from wippy.actors.scheduler import ThreadPool
from wippy.actors.table import ProcessTable
from wippy.timers import KeyedTimers


@dataclass(frozen=True)
class RuntimeStats:
    """Sizes of the runtime's tables, for leak checks and monitoring: live processes,
    monitor/link edges, open handles, process actors not yet closed, pending cancel timers and
    threads running blocking bodies; and totals since it started: processes spawned (handles
    included), exits by error kind (``normal`` for none), messages delivered, and restarts and
    give-ups by supervisor (or service) name. :meth:`Runtime.counters` has them in detail.
    Equality compares the sizes only (leak checks compare a stats with all zeros)."""

    processes: int
    monitors: int
    links: int
    handles: int
    actors: int
    cancel_timers: int
    threads: int = 0
    spawns: int = field(default=0, compare=False)
    exits: dict[str, int] = field(default_factory=dict, compare=False)
    messages: int = field(default=0, compare=False)
    restarts: dict[str, int] = field(default_factory=dict, compare=False)
    give_ups: dict[str, int] = field(default_factory=dict, compare=False)


class Introspection:
    """Mixin of :class:`~wippy.actors.Runtime`: what it can tell about itself and its
    processes (read under the runtime's locks; never changes anything)."""

    _lock: threading.RLock
    _exits: threading.Condition
    _actors: int
    _handles: dict[Pid, Process]
    _graces: KeyedTimers
    _table: ProcessTable
    _pool: ThreadPool
    _fuel: FuelMeters

    def lookup(self, name: str) -> Pid | None:
        """The live process registered as ``name``, or None."""
        return self._table.whereis(name)

    def is_alive(self, pid: Pid | str) -> bool:
        """True while ``pid`` (or the process registered under a name) has not exited."""
        if isinstance(pid, str) and not pid.startswith("<"):
            found = self._table.whereis(pid)
            return found is not None and self._table.is_alive(found)
        return self._table.is_alive(self._table.resolve(pid))

    def stats(self) -> RuntimeStats:
        """Current table sizes (processes, monitor/link edges, handles, actors, timers, threads)
        and the main counters (spawns, exits by kind, messages, restarts and give-ups)."""
        table = self._table.stats()
        with self._lock:
            handles, timers = len(self._handles), len(self._graces)
        with self._exits:
            actors = self._actors
        counters = self.counters()
        return RuntimeStats(
            table.processes, table.monitors, table.links, handles, actors, timers,
            self._pool.running,
            spawns=sum(counters.spawns.values()),
            exits=counters.exits_by_kind(),
            messages=counters.messages,
            restarts=counters.reports(SUPERVISION, "restarted"),
            give_ups=counters.reports(SUPERVISION, "give_up"),
        )

    def counters(self) -> RuntimeCounters:
        """Everything counted since the runtime was created, in detail (by host, kind, error
        kind, supervisor and action; fuel by entry): see :class:`RuntimeCounters`."""
        return RuntimeCounters.of(self._table.counters(), self._fuel.totals())

    def processes(self) -> list[ProcessInfo]:
        """Every live process (handles included), in creation order, with its state now:
        see :class:`~wippy.actors.ProcessInfo`. A snapshot; cheap enough to poll every second."""
        return describe_all(self._table.records())
