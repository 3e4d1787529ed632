"""What a process spawns: registry entries (supervisors and services among them) and Python
functions, monitored or linked from the start, named, their start watched."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from wippy.actors.function_body import ProcessFunction
from wippy.actors.ops import ProcessOps
from wippy.actors.pid import Pid
from wippy.actors.start_watch import StartWatch

WatchStart = Literal["init", "ack"] | None
"""A spawn's ``watch_start``: get ``Event(STARTED)`` when the new process's Init completed
(``"init"``) or when it acked with :meth:`Process.ready` (``"ack"``); None: no event."""


class ProcessSpawning:
    """Mixin of :class:`~wippy.actors.Process`: spawning, on behalf of this process."""

    _runtime: ProcessOps

    if TYPE_CHECKING:  # from the Process

        @property
        def self(self) -> Pid: ...

        def _check(self) -> None: ...

    def spawn(
        self,
        entry_id: str,
        host_id: str,
        *args: Any,
        name: str | None = None,
        watch_start: WatchStart = None,
    ) -> Pid:
        """Spawns the entry ``entry_id`` on ``host_id`` with ``args``, registered as ``name``
        (when given) before it runs. With ``watch_start`` (``"init"`` or ``"ack"``) this
        process gets ``Event(STARTED, pid)`` once the new one started (see
        :meth:`watch_start`), watched from the spawn so that it cannot be missed.

        A ``process.supervisor`` or ``process.service`` entry is started as its supervisor or
        service process (on ``host_id``; its children default to the entry's own ``host``),
        registered under its entry id unless ``name`` is given, and this returns once it has
        started (every child started); waiting is a receive, so this process's permit is given
        back meanwhile. Raises a :class:`~wippy.actors.SpawnError` subclass (unknown host or
        entry, stopped or full host, arguments the program cannot take; for a supervisor or
        service: its start error) and :class:`~wippy.actors.NameTakenError` (``name`` is taken).
        """
        return self._spawn_entry(entry_id, host_id, args, False, False, name, watch_start)

    def spawn_monitored(
        self,
        entry_id: str,
        host_id: str,
        *args: Any,
        name: str | None = None,
        watch_start: WatchStart = None,
    ) -> Pid:
        """Like :meth:`spawn`, and this process monitors the new one from the start."""
        return self._spawn_entry(entry_id, host_id, args, True, False, name, watch_start)

    def spawn_linked(
        self,
        entry_id: str,
        host_id: str,
        *args: Any,
        name: str | None = None,
        watch_start: WatchStart = None,
    ) -> Pid:
        """Like :meth:`spawn`, and the new process is linked to this one from the start (a
        supervisor or service: once it has started, so a failed start is raised, not a link
        failure)."""
        return self._spawn_entry(entry_id, host_id, args, False, True, name, watch_start)

    def spawn_linked_monitored(
        self,
        entry_id: str,
        host_id: str,
        *args: Any,
        name: str | None = None,
        watch_start: WatchStart = None,
    ) -> Pid:
        """Like :meth:`spawn`, both linked to and monitored by this process."""
        return self._spawn_entry(entry_id, host_id, args, True, True, name, watch_start)

    def _spawn_entry(
        self,
        entry_id: str,
        host_id: str,
        args: tuple[Any, ...],
        monitor: bool,
        link: bool,
        name: str | None,
        watch_start: WatchStart,
    ) -> Pid:
        self._check()
        return self._runtime.spawn_entry(
            entry_id, host_id, args, parent=self.self, monitor=monitor, link=link, name=name,
            watches=self._watches(watch_start),
        )

    def _watches(self, watch_start: WatchStart) -> tuple[StartWatch, ...]:
        if watch_start is None:
            return ()
        if watch_start not in ("init", "ack"):
            raise ValueError(f"watch_start must be 'init', 'ack' or None, got {watch_start!r}")
        return (StartWatch(self.self, ack=watch_start == "ack"),)

    def spawn_function(
        self,
        fn: ProcessFunction,
        host_id: str,
        *args: Any,
        monitor: bool = False,
        link: bool = False,
        name: str | None = None,
        watch_start: WatchStart = None,
    ) -> Pid:
        """Runs ``fn(proc, *args)`` as a new process on ``host_id``, optionally monitored/linked,
        registered as ``name`` (before it runs) and its start watched (as :meth:`spawn`).

        Its return value is its EXIT value; an exception it raises is its EXIT error. Raises a
        :class:`~wippy.actors.SpawnError` subclass when the host is unknown, stopped or full,
        and :class:`~wippy.actors.NameTakenError` when ``name`` is taken.
        """
        self._check()
        return self._runtime.spawn_function_as(
            fn, host_id, args, parent=self.self, monitor=monitor, link=link, name=name,
            watches=self._watches(watch_start),
        )
