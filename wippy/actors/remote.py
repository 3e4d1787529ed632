"""Hooks for processes on other nodes: what the table and the runtime ask of a cluster.

Without a cluster nothing here is used. With one (an entry kind claimed through
:func:`register_remote_kind`, e.g. ``cluster.ray``), the :class:`ProcessTable` hands every pid it
does not hold and whose host is on another node to a :class:`RemoteRouter`, and the
:class:`Runtime` asks a :class:`Remote` (a router that also knows where each host lives) to
spawn, cancel and terminate there.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from wippy.actors.events import Event, ProcessError, Received
from wippy.actors.pid import Pid

if TYPE_CHECKING:
    from wippy.actors.start_watch import StartWatch
    from wippy.config import Registry


class RemoteRouter(Protocol):
    """What the process table asks about pids on other nodes. Its notice methods are called
    with the table lock held: they must only queue work (never call back into the table)."""

    def is_remote(self, pid: Pid) -> bool:
        """True when ``pid``'s host lives on another node (the host directory)."""

    def deliver(self, pid: Pid, item: Received) -> bool:
        """Queues ``item`` for ``pid`` on its node; False when that node is down.

        Raises :class:`~wippy.actors.ActorsError` (a ``TypeError`` too) when ``item`` cannot
        cross nodes, before anything is queued."""

    def monitor(self, watcher: Pid, target: Pid) -> None:
        """Asks ``target``'s node to send ``watcher`` the EXIT of ``target`` (called outside
        the table lock; ``watcher`` already lists ``target`` in ``monitoring``)."""

    def unmonitor(self, watcher: Pid, target: Pid) -> None:
        """Withdraws a monitor of a remote ``target``."""

    def link(self, local: Pid, remote: Pid) -> None:
        """Asks ``remote``'s node to link it to ``local`` (outside the table lock)."""

    def unlink(self, local: Pid, remote: Pid) -> None:
        """Removes the link on ``remote``'s side."""

    def watch_start(self, watcher: Pid, target: Pid, ack: bool) -> None:
        """Asks ``target``'s node for ``Event(STARTED)`` of ``target`` to ``watcher`` (see
        :mod:`wippy.actors.start_watch`); called with the table lock held."""

    def unwatch_start(self, watcher: Pid, target: Pid, ack: bool) -> None:
        """Withdraws a :meth:`watch_start`; called with the table lock held."""

    def exit_notice(self, watcher: Pid, event: Event) -> None:
        """A local process that the remote ``watcher`` monitors exited (``event`` is its EXIT)."""

    def link_notice(self, remote: Pid, pid: Pid, error: ProcessError | None) -> None:
        """The local ``pid`` linked to ``remote`` exited, normally (None) or with ``error``."""

    def unmonitor_notice(self, pid: Pid, target: Pid) -> None:
        """The local ``pid``, which monitored the remote ``target``, exited."""

    def name_added(self, name: str, pid: Pid) -> None:
        """``name`` was registered here for ``pid``."""

    def name_removed(self, name: str, pid: Pid) -> None:
        """``name`` (registered here for ``pid``) was freed."""

    def whereis(self, name: str) -> Pid | None:
        """The pid another node registered as ``name``, or None."""

    def is_alive(self, pid: Pid) -> bool:
        """Asks ``pid``'s node whether it is alive (False when the node is down)."""


class Remote(RemoteRouter, Protocol):
    """What the runtime asks of the cluster: where hosts live and how to act on other nodes."""

    handle_host: str
    """The host name in this node's handle pids (``local`` on the node that loaded the app)."""
    first_pid: int
    """The first pid number this node hands out (a restarted node starts above its past)."""

    def owns_host(self, host_id: str) -> bool:
        """True when ``host_id`` is placed on another node."""

    def attach(self, runtime: Any) -> None:
        """Binds to the runtime, once its local hosts exist; may start the cluster. Raises
        what starting it raises."""

    def spawn(
        self, host_id: str, target: str | Callable[..., Any], args: tuple[Any, ...], *,
        function: bool, parent: Pid | None, monitor: bool, link: bool,
        name: str | None = None, watches: tuple[StartWatch, ...] = (),
    ) -> Pid:
        """Spawns an entry id (or, with ``function``, a Python function) on the remote host,
        registered there as ``name``, its start watched by ``watches``. Raises a
        :class:`~wippy.actors.SpawnError` subclass."""

    def cancel(self, pid: Pid, reason: str, grace: float | None, sender: Pid) -> bool:
        """Cancels a remote ``pid`` (ordered after what was sent to it before)."""

    def terminate(self, pid: Pid) -> bool:
        """Terminates a remote ``pid``."""

    def host_call(self, host_id: str, op: str) -> Any:
        """``start``, ``stop`` or ``stats`` of a remote host."""

    def close(self) -> None:
        """Stops the other nodes (if this one started them) and the links to them."""


RemoteFactory = Callable[["Registry"], Remote]

_FACTORIES: dict[str, RemoteFactory] = {}


def register_remote_kind(kind: str, factory: RemoteFactory) -> None:
    """Makes a registry with an entry of ``kind`` run with ``factory(registry)`` as its remote."""
    _FACTORIES[kind] = factory


def remote_for(registry: Registry) -> Remote | None:
    """The remote of the first entry whose kind a cluster claimed, or None (no cluster)."""
    if not _FACTORIES:
        return None
    for entry in registry:
        factory = _FACTORIES.get(entry.kind)
        if factory is not None:
            return factory(registry)
    return None
