"""What a process runs: a body set up by Init, advanced by Step and released by Close.

Two kinds of body exist. A *stepped* body (a WebAssembly guest on a fiber) is advanced by its
actor on a worker of its host: each :meth:`ProcessBody.step` runs it until it finishes, its time
slice ends (:data:`CONTINUE`) or it waits (:data:`SUSPENDED`: a wake through
:meth:`BodyControl.wake` steps it again). A *threaded* body (a Python function, a component, a
wasmer guest) runs on a thread of its own: its first Step hands it that thread and returns
:data:`SUSPENDED`, and the thread reports the end through :class:`BodyControl`.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass
from typing import Any, Final, Protocol


@dataclass(frozen=True)
class Finished:
    """Returned by :meth:`ProcessBody.step` when the body completed with ``value``."""

    value: Any


class _Outcome:
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


CONTINUE: Final = _Outcome("CONTINUE")
"""The body can go on at once: step it again (after the other runnable processes)."""
SUSPENDED: Final = _Outcome("SUSPENDED")
"""The body waits (or runs on its own thread); it is stepped again only when woken."""

StepOutcome = Finished | _Outcome

Activity = tuple[str, "str | None"]
"""What a process is doing, for introspection: ``(state, on)``. ``state`` is ``running`` (a
worker or its own thread is running it now), ``runnable`` (waiting for a worker),
``suspended`` (``on`` says on what: ``receive``, ``sleep``, ``host call``, ``thread``) or
``starting`` (not started yet)."""


class BodyControl(Protocol):
    """What a body may tell its process (from any thread)."""

    def wake(self) -> None:
        """The body can make progress: step it again."""

    def started(self) -> None:
        """The body has started (its Init is complete, or its function was entered)."""

    def complete(self, value: Any) -> None:
        """A threaded body finished with ``value``."""

    def fail(self, exc: BaseException) -> None:
        """A threaded body failed with ``exc`` (``ProcessTerminated``: it was stopped)."""

    def closed(self) -> None:
        """A threaded body released everything; the process may close."""


class ProcessBody(abc.ABC):
    """The code of one process, driven by its actor.

    :meth:`init` runs once, then :meth:`step` until it returns :class:`Finished` (or raises,
    which fails the process), then :meth:`close` exactly once on every path.
    :meth:`interrupt` may be called from any thread at any time.
    """

    kind: str = "body"
    threaded: bool = False
    """True when the body runs on a thread of its own (its first step starts it there)."""
    holds_thread: bool = False
    """True when its thread is outside the host's workers (a component or wasmer guest)."""
    helpable: bool = False
    """True when its steps never block (a thread waiting for it may run them)."""

    def attach(self, control: BodyControl) -> None:
        """Gives the body its process's control (called once, before :meth:`init`)."""
        self.control = control

    @property
    def observes_cancel(self) -> bool:
        """True when the body can see a CANCEL and finish by itself (it gets a grace period);
        otherwise a cancel ends it at once."""
        return False

    def init(self) -> bool:
        """Sets the body up (Init); True when the process counts as started now, False when
        the body reports :meth:`BodyControl.started` itself later. Raising fails the process."""
        return True

    @abc.abstractmethod
    def step(self) -> StepOutcome:
        """Advances the body (Step): :class:`Finished`, :data:`CONTINUE` or :data:`SUSPENDED`.

        Raising fails the process with the error built from the exception.
        """

    def activity(self) -> Activity:
        """What the body does while its actor is idle (no worker steps it, its mailbox is not
        being waited on): ``("suspended", on)`` by default. Any thread; must not block."""
        return ("suspended", None)

    def interrupt(self, reason: str) -> None:  # noqa: B027 - optional hook
        """Asks a running body to stop soon; callable from any thread."""

    def close(self) -> bool:
        """Releases everything the body holds (Close); idempotent. False when a threaded body
        is still running and will call :meth:`BodyControl.closed` when it has let go."""
        return True
