"""A process's edges to other processes (monitors, links, trapping links, its reports to its
monitors) and what it may do to them (cancel, terminate, ask whether they are alive)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from wippy.actors.events import Event
from wippy.actors.ops import ProcessOps
from wippy.actors.pid import Pid, Target
from wippy.actors.table import ProcessRecord


class ProcessLinks:
    """Mixin of :class:`~wippy.actors.Process`: monitors, links and control of other
    processes."""

    _runtime: ProcessOps
    _record: ProcessRecord

    if TYPE_CHECKING:  # from the Process

        @property
        def self(self) -> Pid: ...

        def _check(self) -> None: ...

    def monitor(self, pid: Target) -> None:
        """Gets an EXIT event when ``pid`` exits (at once, error "noproc", if it is gone)."""
        self._check()
        table = self._runtime.table
        table.monitor(self.self, table.resolve(pid))

    def unmonitor(self, pid: Target) -> None:
        """Stops monitoring ``pid`` (an EXIT already received stays in the mailbox)."""
        self._check()
        table = self._runtime.table
        table.unmonitor(self.self, table.resolve(pid))

    def link(self, pid: Target) -> None:
        """Links to ``pid`` both ways (a LINK_DOWN "noproc" arrives at once if it is gone)."""
        self._check()
        table = self._runtime.table
        table.link(self.self, table.resolve(pid))

    def unlink(self, pid: Target) -> None:
        """Removes the link to ``pid`` (both ways)."""
        self._check()
        table = self._runtime.table
        table.unlink(self.self, table.resolve(pid))

    def set_options(self, *, trap_links: bool | None = None) -> None:
        """Sets process options: ``trap_links`` turns linked failures into LINK_DOWN events."""
        self._check()
        if trap_links is not None:
            self._runtime.table.set_trap_links(self.self, trap_links)

    def cancel(self, pid: Target, reason: str = "cancelled", grace: float | None = None) -> bool:
        """Sends ``pid`` a CANCEL event; terminates it if still alive after ``grace`` seconds.

        ``grace`` defaults to the target host's ``stop_timeout``; ``math.inf`` never terminates.
        False when ``pid`` is gone.
        """
        self._check()
        target = self._runtime.table.resolve(pid)
        return self._runtime.cancel(target, reason, grace, sender=self.self)

    def terminate(self, pid: Target) -> bool:
        """Stops ``pid`` now: its monitors get EXIT error "terminated". False when it is gone."""
        self._check()
        return self._runtime.terminate(self._runtime.table.resolve(pid))

    def is_alive(self, pid: Target) -> bool:
        """True while ``pid`` has not exited (False for a name no live process has)."""
        table = self._runtime.table
        if isinstance(pid, str) and not pid.startswith("<"):
            found = table.whereis(pid)
            return found is not None and table.is_alive(found)
        return table.is_alive(table.resolve(pid))

    def notify_monitors(
        self, event_type: str, value: Any = None, *, count_as: tuple[str, str] | None = None
    ) -> int:
        """Sends ``Event(event_type, self.pid, value=value)`` to every monitor of this process.

        Returns how many monitors got it. Used by supervisors for their SUPERVISION reports;
        ``count_as=(source, tag)`` also counts it in the runtime's counters (a supervisor's
        name and the report's action), monitored or not.
        """
        self._check()
        event = Event(event_type, self._record.pid, value=value)
        return self._runtime.table.notify_monitors(self._record.pid, event, count_as)
