"""The request protocol between :class:`~wippy.supervisors.Supervisor` clients and supervisor
processes: the topic of request messages and the rows and counts some requests answer with.

A request is a message on :data:`CALL_TOPIC` whose payload is ``(request name, args tuple,
Future)``; the supervisor answers by completing the Future (see :mod:`.requests`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from wippy.actors import Pid

CALL_TOPIC = "$supervisor"
"""Topic of request messages: payload ``(request name, args tuple, Future)``."""

ChildState = Literal["running", "restarting", "stopped"]


@dataclass(frozen=True)
class ChildInfo:
    """One row of :meth:`Supervisor.which_children`.

    The child's ``id``, its ``pid`` (None unless running), its ``state``, whether it is a
    ``"worker"`` or a ``"supervisor"``, what it runs (``process``), and how many times this
    supervisor has restarted it (``restarts``, for operators: ``wippy ps`` shows it).
    """

    id: str
    pid: Pid | None
    state: ChildState
    type: Literal["worker", "supervisor"]
    process: str
    restarts: int = 0


@dataclass(frozen=True)
class ChildCounts:
    """:meth:`Supervisor.count_children`: child ``specs``, ``active`` (running) children, and
    how many of the specs are ``supervisors`` and ``workers``."""

    specs: int
    active: int
    supervisors: int
    workers: int
