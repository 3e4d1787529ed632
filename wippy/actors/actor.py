"""The actor that steps one process: Init, then Step until done, then Close.

:class:`ProcessRun` is the state machine (independent of how it gets a thread);
:class:`ProcessActor` is the Pykka actor that feeds it its own messages.
"""

from __future__ import annotations

import logging
import queue
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pykka

from wippy.actors.body import ProcessBody
from wippy.actors.errors import ProcessTerminated
from wippy.actors.events import ProcessError
from wippy.actors.host import Ticket
from wippy.actors.pid import Pid
from wippy.actors.table import ProcessRecord, ProcessTable

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Init:
    """Actor message: set the body up."""


@dataclass(frozen=True)
class Step:
    """Actor message: advance the body once (holding a worker of the host)."""


@dataclass(frozen=True)
class Close:
    """Actor message: release the body and the worker claim, then stop the actor."""


ActorMessage = Init | Step | Close


class ProcessRun:
    """Drives one process's body through Init/Step/Close and reports its exit to the table.

    :meth:`handle` takes one actor message and returns the next one to send itself, or None when
    the process is fully closed. :meth:`interrupt` (any thread) is how the table stops it.
    """

    def __init__(
        self,
        record: ProcessRecord,
        body: ProcessBody,
        ticket: Ticket,
        table: ProcessTable,
        on_closed: Callable[[Pid], None],
    ) -> None:
        self.record = record
        self.body = body
        self._ticket = ticket
        self._table = table
        self._on_closed = on_closed
        self._closed = False

    @property
    def pid(self) -> Pid:
        """The pid of the process."""
        return self.record.pid

    def interrupt(self, reason: str) -> None:
        """Stops the process's wait for a worker and interrupts its body; any thread."""
        self._ticket.cancel()
        self.body.interrupt(reason)

    def handle(self, message: ActorMessage) -> ActorMessage | None:
        """Handles one message; returns the next message, or None once closed."""
        if isinstance(message, Close):
            self._close()
            return None
        if self.record.exit is not None:
            return Close()
        if isinstance(message, Init):
            return self._run(self.body.init, Step())
        return self._step()

    def _step(self) -> ActorMessage:
        if not self._ticket.acquire():
            return Close()
        try:
            if self.record.exit is not None:
                return Close()
            result = self.body.step()
        except ProcessTerminated:
            return Close()
        except BaseException as exc:  # the body's failure is the process's EXIT error
            self._fail(exc)
            return Close()
        finally:
            self._ticket.release()
        if result is None:
            return Step()
        self._table.exit(self.pid, value=result.value)
        _yield_to_monitors()
        return Close()

    def _run(self, fn: Callable[[], Any], then: ActorMessage) -> ActorMessage:
        try:
            fn()
        except ProcessTerminated:
            return Close()
        except BaseException as exc:
            self._fail(exc)
            return Close()
        return then

    def _fail(self, exc: BaseException) -> None:
        self._table.exit(self.pid, error=ProcessError.from_exception(exc))
        _yield_to_monitors()

    def _close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            self.body.close()
        except Exception:
            logger.exception("closing the body of %s failed", self.pid)
        self._ticket.close()
        # A body that closed without finishing (e.g. actor stopped) still must leave the table.
        self._table.kill(self.pid, ProcessError("terminated", "process closed before finishing"))
        self._on_closed(self.pid)


def _yield_to_monitors() -> None:
    """Lets a monitor woken by the EXIT just sent run before this thread cleans up (Close).

    Without it the woken thread waits for the GIL until Close is done or the switch interval
    (5 ms) passes; ``sleep(0)`` hands the GIL over now.
    """
    time.sleep(0)


class ProcessActor(pykka.ThreadingActor):
    """A Pykka actor that runs one :class:`ProcessRun`, telling itself the next message.

    ``on_thread`` is called from the actor's thread when it starts (so its owner can join it).
    ``launch``, when given, is handed the actor's loop to run on a thread of its choosing
    (the scheduler's pool) instead of Pykka starting a new thread. Between messages the actor's
    inbox stays open for other control messages.
    """

    def __init__(
        self,
        run: ProcessRun,
        on_thread: Callable[[], None],
        launch: Callable[[Callable[[], None]], None] | None = None,
    ) -> None:
        super().__init__()
        self._process_run = run
        self._on_thread = on_thread
        self._launch = launch

    @staticmethod
    def _create_actor_inbox() -> queue.SimpleQueue[Any]:
        """The inbox: Pykka needs only put, get and empty, which SimpleQueue does in C.

        (Pykka's default ``queue.Queue`` costs ~5 µs to create and ~1 µs per message.)
        """
        return queue.SimpleQueue()

    def _start_actor_loop(self) -> None:
        """Runs the actor loop through ``launch`` (Pykka's hook for new actor types)."""
        if self._launch is None:
            super()._start_actor_loop()
        else:
            self._launch(self._actor_loop)

    def on_start(self) -> None:
        """Reports the actor's thread to its owner."""
        self._on_thread()

    def on_receive(self, message: Any) -> Any:
        """Handles Init/Step/Close; never lets an exception escape (it would stop all actors)."""
        if not isinstance(message, (Init, Step, Close)):
            logger.warning(
                "process %s ignored unexpected message %r", self._process_run.pid, message
            )
            return None
        try:
            following = self._process_run.handle(message)
        except BaseException:
            logger.exception("process actor %s failed; closing it", self._process_run.pid)
            following = None if isinstance(message, Close) else Close()
        if following is None:
            self.stop()
        else:
            self.actor_ref.tell(following)
        return None
