"""What a process handle asks of its runtime (implemented by :class:`~wippy.actors.Runtime`).

The handle depends on this protocol instead of the runtime class, so the two modules do not
import each other.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from wippy.actors.events import ProcessError
from wippy.actors.pid import Pid
from wippy.actors.start_watch import StartWatch
from wippy.actors.table import ProcessTable
from wippy.timers import Timers


class ProcessOps(Protocol):
    """The runtime operations behind :class:`~wippy.actors.Process`."""

    @property
    def table(self) -> ProcessTable:
        """The process table."""

    @property
    def timers(self) -> Timers:
        """The runtime's timer thread (receive timeouts of stepped guests)."""

    def spawn_entry(
        self, entry_id: str, host_id: str, args: tuple[Any, ...], *, parent: Pid | None,
        monitor: bool, link: bool, name: str | None = None,
        watches: tuple[StartWatch, ...] = (),
    ) -> Pid:
        """Spawns a registry entry (or added program), registered as ``name``, its start
        watched by ``watches``."""

    def spawn_function_as(
        self, fn: Callable[..., Any], host_id: str, args: tuple[Any, ...], *,
        parent: Pid | None, monitor: bool, link: bool, name: str | None = None,
        watches: tuple[StartWatch, ...] = (),
    ) -> Pid:
        """Spawns ``fn(proc, *args)``, registered as ``name``, its start watched by ``watches``."""

    def cancel(self, pid: Pid, reason: str, grace: float | None, sender: Pid) -> bool:
        """Cancels ``pid`` (CANCEL and a grace period, or at once when it cannot see it)."""

    def terminate(self, pid: Pid) -> bool:
        """Ends ``pid`` now."""

    def close_handle(self, pid: Pid, error: ProcessError | None) -> None:
        """Exits a handle process."""

    def call(self, entry_id: str, *args: Any) -> Any:
        """Calls a function entry."""

    def help(self) -> bool:
        """Runs one runnable process's slice on the calling thread; True when it ran one."""
