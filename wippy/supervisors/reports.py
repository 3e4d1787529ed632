"""What supervisors and services tell their monitors and the log about their children."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Final, Literal

from wippy.actors import SUPERVISION, Pid, Process, ProcessError

logger = logging.getLogger("wippy.supervisors")

Action = Literal[
    "started",
    "child_exit",
    "restarted",
    "restart_failed",
    "give_up",
    "shutdown",
    "auto_shutdown",
]

_LEVELS: Final[dict[str, int]] = {
    "started": logging.DEBUG,
    "child_exit": logging.INFO,
    "restarted": logging.INFO,
    "restart_failed": logging.WARNING,
    "give_up": logging.ERROR,
    "shutdown": logging.INFO,
    "auto_shutdown": logging.INFO,
}


@dataclass(frozen=True)
class SupervisionReport:
    """One thing a supervisor or service did or saw, sent to its monitors as ``value`` of an
    ``Event(SUPERVISION, supervisor_pid, ...)``.

    ``action`` is what happened; ``child_id``/``child_pid`` which child (None for the supervisor
    itself); ``error`` the child's exit error when it failed; ``detail`` a human-readable line.
    """

    supervisor: str
    action: Action
    child_id: str | None = None
    child_pid: Pid | None = None
    error: ProcessError | None = None
    detail: str = ""

    def __str__(self) -> str:
        who = f" {self.child_id}" if self.child_id is not None else ""
        pid = f" ({self.child_pid})" if self.child_pid is not None else ""
        error = f": {self.error}" if self.error is not None else ""
        detail = f" - {self.detail}" if self.detail else ""
        return f"{self.supervisor}: {self.action}{who}{pid}{error}{detail}"


def report(proc: Process, item: SupervisionReport) -> None:
    """Logs ``item`` on ``wippy.supervisors``, sends it to the monitors of ``proc`` and counts
    it in the runtime's counters under the supervisor's name and the action (metrics read
    restarts and give-ups there)."""
    logger.log(_LEVELS.get(item.action, logging.INFO), "%s", item)
    if proc.alive:
        proc.notify_monitors(SUPERVISION, item, count_as=(item.supervisor, item.action))
