"""What a process runs: a body set up by Init, advanced by Step and released by Close."""

from __future__ import annotations

import abc
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from wippy.actors.process import Process


@dataclass(frozen=True)
class Finished:
    """Returned by :meth:`ProcessBody.step` when the body completed with ``value``."""

    value: Any


class ProcessBody(abc.ABC):
    """The code of one process, driven by its actor on the actor's thread.

    :meth:`init` runs once, then :meth:`step` until it returns :class:`Finished` (or raises,
    which fails the process), then :meth:`close` exactly once on every path.
    :meth:`interrupt` may be called from any thread at any time.
    """

    kind: str = "body"

    def init(self) -> None:  # noqa: B027 - optional hook
        """Sets the body up (Init). Raising fails the process."""

    @abc.abstractmethod
    def step(self) -> Finished | None:
        """Advances the body (Step): :class:`Finished` when done, None to be stepped again.

        Raising fails the process with the error built from the exception.
        """

    def interrupt(self, reason: str) -> None:  # noqa: B027 - optional hook
        """Asks a running :meth:`step` to stop soon; callable from any thread."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Releases everything the body holds (Close). Must be idempotent."""


ProcessFunction = Callable[..., Any]
"""A Python function run as a process: ``fn(proc, *args)``; its return value is the EXIT value."""


class FunctionBody(ProcessBody):
    """Runs a Python function as the whole process in one step.

    The function gets the process's :class:`~wippy.actors.Process` first. Termination reaches it
    through that handle: its next ``receive``/``send``/... raises ``ProcessTerminated``.
    """

    kind = "function"

    def __init__(self, fn: ProcessFunction, proc: Process, args: tuple[Any, ...]) -> None:
        self._fn = fn
        self._proc = proc
        self._args = args

    def step(self) -> Finished:
        """Calls the function; returns its value or lets its exception fail the process."""
        return Finished(self._fn(self._proc, *self._args))
