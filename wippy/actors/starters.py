"""Entry kinds that start as processes of their own making, and waiting for a start.

Some entry kinds are not programs but processes built by a layer above this one: a
``process.supervisor`` is a supervisor process, a ``process.service`` a service manager. That
layer registers an :class:`EntryStarter` for the entry's config class with
:func:`register_starter` (``wippy.supervisors`` does so when imported; this package never
imports it). :meth:`Runtime.spawn_entry <wippy.actors.Runtime.spawn_entry>` then hands such an
entry to its starter, which launches the process and says how to wait for it
(:class:`Launched`), and :func:`await_launched` waits for the process to acknowledge its start,
as OTP's ``proc_lib:start_link`` waits for ``init_ack``:

- the wait is a ``receive`` of the spawning process (a function process gives its host's
  permit back meanwhile, so a supervisor spawned from a process on a one-worker host can run);
  without a spawning process, the calling function process waits, else a temporary handle;
- ``Event(STARTED)`` from the new process (its ``ready()``) ends it: the spawn returns the pid,
  and only then links the spawner to it when asked (a start failure must not fail the spawner
  through the link: it is raised instead, as any spawn error);
- its EXIT first is a start failure: the starter turns it into the error raised (the waiting
  process monitors it from its spawn, so that no exit is missed; the monitor is dropped
  afterwards unless the spawn asked for one);
- the starter's timeout passing first terminates it (a late ack is ignored): a start failure;
- the spawner failing meanwhile (terminated) terminates it too: nothing is left unowned.

Nothing of the wait is left in the spawner's mailbox, whichever way it ends.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from wippy.actors.errors import ProcessExitedError
from wippy.actors.events import EXIT, Event
from wippy.actors.function_body import current_process
from wippy.actors.pid import Pid
from wippy.actors.process import Process
from wippy.actors.start_watch import StartWatch

if TYPE_CHECKING:
    from wippy.actors.runtime import Runtime
    from wippy.config import Registry

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Launched:
    """A process a starter launched, and how to wait for its start.

    ``timeout``: seconds it may take to start (None: no bound). ``failed(event)`` makes the
    error to raise when it exits first (``event`` is its EXIT) or, with None, when the timeout
    passed first. ``ack``: it counts as started once it called ``ready()`` (not at its Init).
    """

    pid: Pid
    timeout: float | None
    failed: Callable[[Event | None], BaseException]
    ack: bool = True


class EntryStarter(Protocol):
    """Launches the process of one kind of registry entry (see the module documentation)."""

    def launch(
        self,
        runtime: Runtime,
        entry_id: str,
        host_id: str,
        args: tuple[Any, ...],
        *,
        parent: Pid | None,
        monitor: bool,
        name: str | None,
        watches: tuple[StartWatch, ...],
    ) -> Launched:
        """Spawns the process of ``entry_id`` on ``host_id`` (monitored by ``parent`` when
        ``monitor``; registered as ``name``, or as the starter decides when None; its start
        watched by ``watches`` from the spawn; never linked: linking follows the ack) without
        waiting for it. Raises a SpawnError (or NameTakenError) when it cannot be spawned."""


_STARTERS: dict[type, EntryStarter] = {}


def register_starter(entry_type: type, starter: EntryStarter) -> None:
    """Makes registry entries of ``entry_type`` spawnable through ``starter``."""
    _STARTERS[entry_type] = starter


def find_starter(registry: Registry | None, entry_id: str) -> EntryStarter | None:
    """The starter for the registry entry ``entry_id``, or None (no such entry, or a kind
    without a starter: a program)."""
    if registry is None or not _STARTERS or entry_id not in registry:
        return None
    entry = registry.get(entry_id)
    for entry_type, starter in _STARTERS.items():
        if isinstance(entry, entry_type):
            return starter
    return None


def start_entry(
    runtime: Runtime,
    starter: EntryStarter,
    entry_id: str,
    host_id: str,
    args: tuple[Any, ...],
    *,
    parent: Pid | None,
    monitor: bool,
    link: bool,
    name: str | None,
    watches: tuple[StartWatch, ...] = (),
) -> Pid:
    """Launches ``entry_id`` through ``starter`` and waits for its start (see the module
    documentation); returns its pid. ``watches`` are the spawner's own watches of its start.
    Raises what the starter raises for a failed start."""
    with waiting_process(runtime, parent) as waiter:
        launched = starter.launch(
            runtime, entry_id, host_id, args, parent=waiter.pid, monitor=True, name=name,
            watches=(StartWatch(waiter.pid, ack=True), *watches),
        )
        return await_launched(runtime, waiter, launched, link=link, monitor=monitor)


@contextlib.contextmanager
def waiting_process(runtime: Runtime, parent: Pid | None) -> Iterator[Process]:
    """The process that waits for a start: ``parent``'s own view, else the function process
    calling (so it gives its permit back while it waits), else a temporary handle.

    Raises ProcessExitedError when ``parent`` has exited.
    """
    if parent is not None:
        record = runtime.table.get(parent)
        if record is None:
            raise ProcessExitedError(f"process {parent} has exited")
        yield Process(runtime, record, handle=record.kind == "handle")
        return
    current = current_process()
    if isinstance(current, Process) and current.runs_on(runtime):
        yield current
        return
    with runtime.process() as handle:
        yield handle


def await_launched(
    runtime: Runtime, waiter: Process, launched: Launched, *, link: bool, monitor: bool = True
) -> Pid:
    """Waits (as ``waiter``, which must monitor it from its spawn, so that an exit cannot be
    missed) for ``launched`` to start (to ack it, when ``launched.ack``); then links
    ``waiter`` to it when ``link``, and, unless ``monitor``, stops monitoring it and drops what
    the monitor brought (events from it: reports, an EXIT). Returns its pid.

    Raises ``launched.failed(...)`` when it exits first or its timeout passes first (it is
    then terminated); re-raises what interrupts the wait (``waiter`` terminated) after
    terminating it.
    """
    pid = launched.pid
    try:
        event = waiter.await_started(pid, ack=launched.ack, timeout=launched.timeout)
    except BaseException:
        runtime.terminate(pid)  # the waiter may be gone: ask the runtime
        raise
    if event is None:
        logger.info("process %s did not start within %ss: terminating it", pid, launched.timeout)
        waiter.unlink(pid)
        waiter.terminate(pid)
        waiter.receive(0, match=lambda item: _is_exit_of(item, pid))  # when waiter monitors it
        raise launched.failed(None)
    if event.type == EXIT:
        raise launched.failed(event)
    if link:
        waiter.link(pid)
    if not monitor:
        waiter.unmonitor(pid)
        while waiter.receive(0, match=lambda item: _is_event_of(item, pid)) is not None:
            pass
    return pid


def _is_exit_of(item: object, pid: Pid) -> bool:
    return isinstance(item, Event) and item.type == EXIT and item.pid == pid


def _is_event_of(item: object, pid: Pid) -> bool:
    return isinstance(item, Event) and item.pid == pid
