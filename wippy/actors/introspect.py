"""Looking inside a running runtime: one :class:`ProcessInfo` per live process, and counters.

Everything here is read from state the runtime keeps anyway (the table's records, each actor's
inbox state, what each body waits on), with unlocked reads where the scheduler's own lock would
otherwise be taken: a snapshot may be a moment old, and costs nothing on the hot paths. The
counters (:class:`RuntimeCounters`) are kept exact by the table and mailboxes under the locks
their operations already hold.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from wippy.actors.actor import ProcessRun
from wippy.actors.counters import TableCounters
from wippy.actors.pid import Pid
from wippy.actors.table import ProcessRecord
from wippy.actors.wasm_body import WasmBody

F = TypeVar("F", bound=Callable[..., object])

STATES = ("running", "runnable", "suspended", "starting")
"""Every :attr:`ProcessInfo.state`, in the order tools list them."""


def process_role(role: str) -> Callable[[F], F]:
    """Marks a process function with what its processes are (``supervisor``, ``service``):
    introspection and the spawn/exit counters show that instead of ``function``."""

    def mark(fn: F) -> F:
        fn.wippy_role = role  # type: ignore[attr-defined]
        return fn

    return mark


@dataclass(frozen=True)
class ProcessInfo:
    """One live process as :meth:`Runtime.processes <wippy.actors.Runtime.processes>` sees it.

    ``kind`` is ``wasm``, ``lua``, ``function``, ``handle`` or a role (``supervisor``, ``service``).
    ``state`` is ``running`` (a worker or its own thread runs it now), ``runnable`` (in its
    host's run queue), ``suspended`` (``on`` says on what: ``receive``, ``sleep``, ``host call``,
    ``thread`` for a blocking body on a thread of its own) or ``starting`` (not started yet).
    ``spawned_at`` is a ``time.time()``, ``age`` seconds since then; ``mailbox`` the messages and
    events waiting, ``messages`` those delivered so far; ``parent`` who spawned it;
    ``fuel_used``/``memory_bytes`` a guest's use of the limits its entry sets (None without),
    measured each time it waits and when it ends (wasmtime settles a running guest's fuel only
    then, so a guest that computes without waiting shows its fuel at the end).
    """

    pid: Pid
    entry: str | None
    host: str
    kind: str
    state: str
    on: str | None
    spawned_at: float
    age: float
    mailbox: int
    messages: int
    names: tuple[str, ...]
    parent: Pid | None
    fuel_used: int | None = None
    memory_bytes: int | None = None


def describe(record: ProcessRecord, now: float) -> ProcessInfo:
    """The :class:`ProcessInfo` of a live ``record`` at ``now`` (a ``time.time()``)."""
    control = record.control
    if control is None:  # a handle: driven by the Python code that holds it
        state, on = ("suspended", "receive") if record.mailbox.waiting else ("running", None)
    else:
        state, on = control.activity()
    fuel = memory = None
    if isinstance(control, ProcessRun) and isinstance(control.body, WasmBody):
        usage = control.body.usage
        if usage is not None:
            fuel, memory = usage.fuel_used, usage.memory_bytes
    return ProcessInfo(
        pid=record.pid,
        entry=record.entry,
        host=record.pid.host,
        kind=record.shown_kind,
        state=state,
        on=on if state == "suspended" else None,
        spawned_at=record.spawned_at,
        age=max(0.0, now - record.spawned_at),
        mailbox=len(record.mailbox),
        messages=record.mailbox.messages,
        names=tuple(sorted(record.names)),
        parent=record.parent,
        fuel_used=fuel,
        memory_bytes=memory,
    )


def describe_all(records: list[ProcessRecord]) -> list[ProcessInfo]:
    """:func:`describe` for each record, at one ``now``."""
    now = time.time()
    return [describe(record, now) for record in records]


@dataclass(frozen=True)
class RuntimeCounters:
    """What a runtime has counted since it was created (monotonic, exact).

    ``spawns`` by ``(host, kind)``, ``exits`` by ``(host, kind, error kind)`` (``normal`` for an
    exit without error), ``messages`` delivered, ``notifications`` by ``(source, event type,
    tag)`` (supervisors and services count their reports as ``(name, "SUPERVISION", action)``)
    and ``fuel`` used by the guests of each entry that sets a ``fuel`` limit.
    """

    spawns: dict[tuple[str, str], int]
    exits: dict[tuple[str, str, str], int]
    messages: int
    notifications: dict[tuple[str, str, str], int]
    fuel: dict[str, int]

    @classmethod
    def of(cls, table: TableCounters, fuel: dict[str, int]) -> RuntimeCounters:
        """Combines the table's counters with the fuel meters' totals."""
        return cls(table.spawns, table.exits, table.messages, table.notifications, fuel)

    def exits_by_kind(self) -> dict[str, int]:
        """Exits by error kind (``normal`` for none), over every host and process kind."""
        total: Counter[str] = Counter()
        for (_, _, kind), n in self.exits.items():
            total[kind] += n
        return dict(total)

    def reports(self, event_type: str, tag: str) -> dict[str, int]:
        """Counted notifications of ``event_type`` tagged ``tag``, by source."""
        return {
            source: n
            for (source, kind, got), n in self.notifications.items()
            if kind == event_type and got == tag
        }


class FuelMeters:
    """Fuel used per entry, added to by guests after their Steps (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._used: Counter[str] = Counter()
        self._meters: dict[str, Callable[[int], None]] = {}

    def meter(self, entry_id: str) -> Callable[[int], None]:
        """What a guest of ``entry_id`` calls with the fuel a Step used (one per entry)."""
        meter = self._meters.get(entry_id)
        if meter is None:

            def add(used: int) -> None:
                with self._lock:
                    self._used[entry_id] += used

            meter = self._meters.setdefault(entry_id, add)
        return meter

    def totals(self) -> dict[str, int]:
        """Fuel used so far by entry."""
        with self._lock:
            return dict(self._used)
