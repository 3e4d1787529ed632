"""What the process table holds: one :class:`ProcessRecord` per live process, how it ended
(:class:`ExitInfo`), what the table calls to stop its body (:class:`Interruptible`), and the
table's sizes (:class:`TableStats`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from wippy.actors.events import ProcessError
from wippy.actors.mailbox import Mailbox
from wippy.actors.pid import Pid
from wippy.actors.start_watch import StartWatch

if TYPE_CHECKING:
    from wippy.actors.permits import Permit


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
    """"function", "wasm", "lua" or "handle" (a Python-side :class:`~wippy.actors.Process`)."""
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
