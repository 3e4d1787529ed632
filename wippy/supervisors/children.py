"""What supervisors and service managers do to their children: spawn them linked and
monitored, stop them with a grace period, and wait for their EXIT."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from wippy.actors import EXIT, Event, Pid, Process, Received, WatchStart


def exit_of(pid: Pid) -> Callable[[Received], bool]:
    """A ``receive(match=...)`` predicate for the EXIT event of ``pid``."""

    def match(item: Received) -> bool:
        return isinstance(item, Event) and item.type == EXIT and item.pid == pid

    return match


def spawn_child(
    proc: Process,
    process: str | Callable[..., Any],
    host: str,
    args: Sequence[Any],
    name: str | None = None,
    ack: bool = False,
) -> Pid:
    """Spawns an entry id or a Python function as a child of ``proc``: linked and monitored,
    registered as ``name`` (when given) before it runs, its start watched (``Event(STARTED)``
    at its Init or, with ``ack``, at its ``ready()``: see ``Process.await_started``).

    Raises what the spawn raises (a SpawnError subclass, NameTakenError).
    """
    watch: WatchStart = "ack" if ack else "init"
    if isinstance(process, str):
        return proc.spawn_linked_monitored(process, host, *args, name=name, watch_start=watch)
    return proc.spawn_function(
        process, host, *args, monitor=True, link=True, name=name, watch_start=watch
    )


def request_stop(proc: Process, pid: Pid, grace: float, reason: str = "shutdown") -> None:
    """Unlinks ``pid`` and stops it: terminated at once when ``grace`` is 0, else CANCEL and
    terminated after ``grace`` seconds (``math.inf``: never)."""
    proc.unlink(pid)
    if grace <= 0:
        proc.terminate(pid)
    else:
        proc.cancel(pid, reason=reason, grace=grace)


def await_exit(proc: Process, pid: Pid) -> Event:
    """Waits for the EXIT of ``pid``, which ``proc`` monitors, leaving other items queued."""
    event = proc.receive(None, match=exit_of(pid))
    assert isinstance(event, Event)
    return event


def stop_child(proc: Process, pid: Pid, grace: float, reason: str = "shutdown") -> Event:
    """:func:`request_stop` then :func:`await_exit`: the child's EXIT event."""
    request_stop(proc, pid, grace, reason)
    return await_exit(proc, pid)
