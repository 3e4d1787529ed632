"""Registered process names: which live process a name stands for, here or on another node.

A name belongs to one live process until it unregisters it or exits (:mod:`.table_exits` frees
its names then). In a cluster the router is asked about names this node does not hold, and told
about the names added and removed here.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from wippy.actors.errors import NameTakenError, ProcessExitedError, UnknownNameError
from wippy.actors.pid import Pid

if TYPE_CHECKING:
    from wippy.actors.remote import RemoteRouter
    from wippy.actors.table_records import ProcessRecord


def check_name(name: object) -> None:
    """Raises ValueError unless ``name`` can be registered: a non-empty string that does not
    start with ``<`` (which would read as a pid)."""
    if not isinstance(name, str) or not name or name.startswith("<"):
        raise ValueError(
            f"a process name must be a non-empty string not starting with '<', got {name!r}"
        )


class NameRegistry:
    """The names part of :class:`~wippy.actors.table.ProcessTable` (its lock, records, names
    and router)."""

    _lock: threading.Lock
    _records: dict[Pid, ProcessRecord]
    _names: dict[str, Pid]
    _router: RemoteRouter | None

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
