"""What arrives in a mailbox: messages from other processes and events about processes."""

from __future__ import annotations

import time
import traceback
from dataclasses import dataclass, field
from typing import Any, Final, NamedTuple

from wippy.actors.pid import Pid

EXIT: Final = "EXIT"
"""Event type sent to monitors when a process exits, successfully or not."""

LINK_DOWN: Final = "LINK_DOWN"
"""Event type sent to trap-links processes when a linked process fails."""

CANCEL: Final = "CANCEL"
"""Event type sent to a process asked to cancel (stop gracefully)."""

STARTED: Final = "STARTED"
"""Event type a process gets when a process whose start it watches has started: its Init
completed (``reason`` ``"init"``), or it acknowledged with ``ready(value)`` (``reason``
``"ack"``, ``value`` the ack's)."""

SUPERVISION: Final = "SUPERVISION"
"""Event type a supervisor or service sends its monitors about its children (restarts, ...)."""


@dataclass(frozen=True)
class ProcessError:
    """Why a process failed: a short machine-readable ``kind`` and a human-readable ``message``.

    Kinds include ``"exception"`` (a Python exception, message ``TypeName: text``), the ``kind`` of
    a :mod:`wippy.wasm.errors` error (``"trap"``, ``"exit"``, ``"timeout"``, ...), and the runtime's
    own ``"terminated"``, ``"linked"`` and ``"noproc"``.
    """

    kind: str
    message: str
    trace: str | BaseException = field(default="", compare=False, repr=False)
    """The Python exception behind the error (its frames cleared), formatted by :attr:`details`
    on first use; or the text itself."""
    status: int | None = field(default=None, compare=False)
    """The exit status for kind ``"exit"`` (a WASI guest's ``exit(n)``); None otherwise."""

    def __str__(self) -> str:
        return f"{self.kind}: {self.message}"

    @property
    def details(self) -> str:
        """The formatted traceback when the error came from a Python exception, else ``""``."""
        trace = self.trace
        if isinstance(trace, str):
            return trace
        text = "".join(traceback.format_exception(trace))
        object.__setattr__(self, "trace", text)  # formatting is the costly part; do it once
        return text

    @classmethod
    def from_exception(cls, exc: BaseException) -> ProcessError:
        """Builds the error for ``exc``: wasm errors keep their ``kind``; others are "exception".

        The exception is kept for :attr:`details` with the local variables of its frames
        dropped, so a failed process does not keep its data alive through its EXIT event.
        """
        _drop_locals(exc)
        kind = getattr(exc, "kind", None)
        if isinstance(kind, str) and kind:
            message = getattr(exc, "message", None)
            if not isinstance(message, str):
                message = str(exc)
            status = getattr(exc, "status", None)
            return cls(kind, message, exc, status if isinstance(status, int) else None)
        return cls("exception", f"{type(exc).__name__}: {exc}", exc)


def _drop_locals(exc: BaseException) -> None:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        traceback.clear_frames(current.__traceback__)
        current = current.__cause__ or current.__context__


TERMINATED: Final = ProcessError("terminated", "process was terminated")
SHUTDOWN_KIND: Final = "shutdown"
"""Error kind of an orderly stop (OTP's ``shutdown``): no crash for ``transient`` restarts."""
LINKED: Final = ProcessError("linked", "linked process failed")
NOPROC: Final = ProcessError("noproc", "no such process")


class Message(NamedTuple):
    """A message one process sent another: ``topic``, the ``payload`` tuple and the ``sender``.

    Immutable and cheap to make (messages are the hottest path of the runtime).
    """

    topic: str
    payload: tuple[Any, ...]
    sender: Pid


@dataclass(frozen=True)
class Event:
    """Something the runtime tells a process about a process.

    ``type`` is ``"EXIT"`` (to monitors: ``pid`` exited with ``value`` or ``error``),
    ``"LINK_DOWN"`` (to a trap-links process: linked ``pid`` failed with ``error``) or
    ``"CANCEL"`` (to the cancelled process: ``pid`` asked it to stop, for ``reason``),
    ``"STARTED"`` (to a process watching ``pid``'s start: it started, ``value`` its ack) or a
    notification a process sent its monitors (``"SUPERVISION"``: ``pid`` is the sender and
    ``value`` the report).
    ``at`` is the :func:`time.time` when the runtime emitted it.
    """

    type: str
    pid: Pid
    value: Any = None
    error: ProcessError | None = None
    reason: str | None = None
    at: float = field(default_factory=time.time)

    @property
    def ok(self) -> bool:
        """True when this is an EXIT without an error."""
        return self.type == EXIT and self.error is None


Received = Message | Event
"""Anything :meth:`wippy.actors.Process.receive` can return."""
