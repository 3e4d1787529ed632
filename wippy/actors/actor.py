"""The actor that steps one process: Init, then Step until done, then Close.

:class:`ProcessActor` is a Pykka actor of wippy's own type, made through Pykka's hooks for new
actor types: its inbox (:class:`StepInbox`) does not block a thread of its own; a message for an
idle actor puts the actor on its host's :class:`~wippy.actors.scheduler.RunQueue`, and a worker
then runs one slice of it (:meth:`ProcessActor.run_slice`): its queued messages, at most one Step.
:class:`ProcessRun` is the state machine those messages drive, independent of threads.
"""

from __future__ import annotations

import contextlib
import logging
import sys
import threading
from collections.abc import Callable
from typing import Any

import pykka

from wippy.actors.body import CONTINUE, SUSPENDED, Finished, ProcessBody
from wippy.actors.errors import ProcessTerminated
from wippy.actors.events import ProcessError
from wippy.actors.pid import Pid
from wippy.actors.scheduler import RunQueue
from wippy.actors.table import ProcessRecord, ProcessTable

logger = logging.getLogger(__name__)


class _Control:
    """An actor message of the process's own life (a singleton per kind)."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


INIT = _Control("Init")
"""Set the body up (for a WebAssembly guest: instantiate it)."""
STEP = _Control("Step")
"""Advance the body once (a guest: one poll of its call, on a worker)."""
CLOSE = _Control("Close")
"""Release the body, then stop the actor."""

_STOP = object()  # handle()'s answer when the actor should stop


class StepInbox:
    """A Pykka actor inbox that schedules its actor instead of waking a thread.

    ``put`` appends; when the actor is idle (not queued, not running) it is queued on its run
    queue. A worker brackets a slice with :meth:`begin` and :meth:`end`; messages that arrive
    meanwhile are handled in the same slice or make :meth:`end` queue the actor again.
    """

    __slots__ = ("_items", "_lock", "_owner", "_queue", "_state")

    _IDLE, _QUEUED, _RUNNING = 0, 1, 2

    def __init__(self, owner: ProcessActor, queue: RunQueue) -> None:
        self._items: list[Any] = []  # a few messages at most: a list is 14x smaller than a deque
        self._lock = threading.Lock()
        self._state = StepInbox._IDLE
        self._owner = owner
        self._queue = queue

    def put(self, envelope: Any, /) -> None:
        with self._lock:
            self._items.append(envelope)
            if self._state != StepInbox._IDLE:
                return
            self._state = StepInbox._QUEUED
        self._queue.schedule(self._owner)

    def get(self) -> Any:
        """The oldest message; raises IndexError when empty (never blocks)."""
        return self._items.pop(0)

    def empty(self) -> bool:
        return not self._items

    def __len__(self) -> int:
        return len(self._items)

    def begin(self) -> None:
        """A worker starts a slice of the actor."""
        with self._lock:
            self._state = StepInbox._RUNNING

    def end(self) -> bool:
        """The slice ended; True when messages are left (the actor must be queued again)."""
        with self._lock:
            if self._items:
                self._state = StepInbox._QUEUED
                return True
            self._state = StepInbox._IDLE
            return False


class _StopFlag:
    """The actor's ``actor_stopped`` flag: what Pykka reads of it (``is_set``/``set``), without
    the lock and condition of a :class:`threading.Event` (a process has no thread waiting)."""

    __slots__ = ("_set",)

    def __init__(self) -> None:
        self._set = False

    def is_set(self) -> bool:
        return self._set

    def set(self) -> None:
        self._set = True


class ProcessActor(pykka.Actor):
    """A Pykka actor that runs one :class:`ProcessRun` on its host's workers.

    Started with :meth:`launch` (not :meth:`pykka.Actor.start`): the process table is the
    registry of processes, so these actors are not added to Pykka's global ``ActorRegistry``
    (whose list would make every exit cost O(live processes)). For the same reason of cost the
    fields :class:`pykka.Actor` sets up are set here directly: ``actor_urn`` names the process
    (no random uuid per spawn), ``actor_inbox`` is the run-queue inbox, ``actor_stopped`` a plain
    flag, ``actor_ref`` the usual :class:`pykka.ActorRef`.
    """

    def __init__(self, run: ProcessRun, queue: RunQueue) -> None:
        self._process_run = run
        self._run_queue = queue
        self._set_up = False
        self.helpable = run.body.helpable
        self.actor_urn = f"urn:wippy:{id(run):x}:{run.record.pid}"
        self.actor_inbox = self._create_actor_inbox()
        self.actor_stopped = _StopFlag()  # type: ignore[assignment]
        self._actor_ref = pykka.ActorRef(self)

    def _stop(self) -> None:
        """Stops the actor (Pykka's, without the registry it was never added to)."""
        self.actor_stopped.set()
        try:
            self.on_stop()
        except Exception:
            self._handle_failure(*sys.exc_info())

    def _create_actor_inbox(self) -> StepInbox:  # type: ignore[override]
        """The inbox: a run-queue inbox on the actor's host (Pykka's hook for actor types)."""
        return StepInbox(self, self._run_queue)

    @staticmethod
    def _create_future() -> pykka.Future[Any]:
        return pykka.ThreadingFuture()

    def _start_actor_loop(self) -> None:
        """Nothing to start: the first message puts the actor on its run queue."""

    @classmethod
    def launch(cls, run: ProcessRun, queue: RunQueue) -> pykka.ActorRef[Any]:
        """Creates the actor and sends it Init; returns its ref."""
        actor = cls(run, queue)
        run.actor_ref = actor.actor_ref
        actor.actor_ref.tell(INIT)
        return actor.actor_ref

    def run_slice(self) -> None:
        """One slice on a worker: the queued messages, at most one Step of the body."""
        inbox: StepInbox = self.actor_inbox  # type: ignore[assignment]
        inbox.begin()
        stopped = self.actor_stopped
        try:
            if not self._set_up:
                self._set_up = True
                self._actor_loop_setup()
            while not stopped.is_set():
                try:
                    envelope = inbox.get()
                except IndexError:
                    break
                self._handle_envelope(envelope)
                if envelope.message is STEP:
                    break  # one Step per slice: the others get their turn
        finally:
            if stopped.is_set():
                self._actor_loop_teardown()
            elif inbox.end():
                self._run_queue.schedule(self)

    def _handle_envelope(self, envelope: Any) -> None:
        try:
            response = self._handle_receive(envelope.message)
            if envelope.reply_to is not None:
                envelope.reply_to.set(response)
        except Exception:
            if envelope.reply_to is not None:
                envelope.reply_to.set_exception()
            else:
                self._handle_failure(*sys.exc_info())
        except BaseException:
            logger.exception("process actor %s failed; stopping it", self._process_run.pid)
            self._stop()

    def on_receive(self, message: Any) -> Any:
        """Handles Init/Step/Close; never lets an exception escape."""
        if not isinstance(message, _Control):
            logger.warning(
                "process %s ignored unexpected message %r", self._process_run.pid, message
            )
            return None
        try:
            following = self._process_run.handle(message)
        except BaseException:
            logger.exception("process actor %s failed; closing it", self._process_run.pid)
            following = _STOP if message is CLOSE else CLOSE
        if following is _STOP:
            self._stop()
        elif following is not None:
            self.actor_ref.tell(following)
        return None


class ProcessRun:
    """Drives one process's body through Init/Step/Close and reports its exit to the table.

    :meth:`handle` takes one actor message and returns the next one to send itself, None to wait
    for a wake, or ``_STOP`` once closed. It is also the body's :class:`BodyControl`.
    """

    def __init__(
        self,
        record: ProcessRecord,
        body: ProcessBody,
        table: ProcessTable,
        on_started: Callable[[ProcessRecord], None],
        on_closed: Callable[[ProcessRecord], None],
        admitted: Callable[[], None] | None = None,
    ) -> None:
        self.record = record
        self.body = body
        self._table = table
        self._on_started = on_started
        self._on_closed = on_closed
        self._admitted = admitted
        self._started = False
        self._closed = False
        self.actor_ref: pykka.ActorRef[Any] | None = None
        body.attach(self)

    @property
    def pid(self) -> Pid:
        """The pid of the process."""
        return self.record.pid

    @property
    def observes_cancel(self) -> bool:
        """True when the body can see a CANCEL (and so gets a grace period)."""
        return self.body.observes_cancel

    # -- BodyControl --------------------------------------------------------------------------

    def wake(self) -> None:
        """Steps the process again (any thread); no-op once its actor stopped."""
        ref = self.actor_ref
        if ref is not None:
            _tell(ref, STEP)

    def started(self) -> None:
        """Reports that the process has started (once)."""
        if not self._started:
            self._started = True
            self._on_started(self.record)

    def exited(self, record: ProcessRecord) -> None:
        """The process left the table: one still waiting for a worker frees its place."""
        self._release_admission()

    def _release_admission(self) -> None:
        admitted, self._admitted = self._admitted, None
        if admitted is not None:
            admitted()

    def complete(self, value: Any) -> None:
        """Records the exit of a threaded body that returned ``value``."""
        self._table.exit(self.pid, value=value)

    def fail(self, exc: BaseException) -> None:
        """Records the exit of a threaded body that raised ``exc``."""
        if not isinstance(exc, ProcessTerminated):
            self._table.exit(self.pid, error=ProcessError.from_exception(exc))

    def closed(self) -> None:
        """A threaded body let go of everything: finish closing on a worker."""
        ref = self.actor_ref
        if ref is not None:
            _tell(ref, CLOSE)

    # -- the state machine --------------------------------------------------------------------

    def interrupt(self, reason: str) -> None:
        """The process was killed: stops the body and has the actor close it (any thread)."""
        try:
            self.body.interrupt(reason)
        finally:
            ref = self.actor_ref
            if ref is not None:
                _tell(ref, CLOSE)

    def handle(self, message: _Control) -> Any:
        """Handles one message; returns the next message, None (wait) or ``_STOP``."""
        if message is CLOSE:
            return _STOP if self._close() else None
        if self.record.exit is not None:
            return CLOSE
        if message is INIT:
            self._release_admission()  # it has a worker: it no longer waits to start
            try:
                if self.body.init():
                    self.started()
            except ProcessTerminated:
                return self._close_now()
            except BaseException as exc:
                self._fail(exc)
                return self._close_now()
            if self.record.exit is not None:
                return self._close_now()
        return self._step()  # Init is followed by the first Step in the same slice

    def _step(self) -> Any:
        try:
            outcome = self.body.step()
        except ProcessTerminated:
            return self._close_now()
        except BaseException as exc:  # the body's failure is the process's EXIT error
            self._fail(exc)
            return self._close_now()
        if outcome is SUSPENDED:
            return None
        if outcome is CONTINUE:
            return STEP
        assert isinstance(outcome, Finished)
        self._table.exit(self.pid, value=outcome.value)
        return self._close_now()

    def _close_now(self) -> Any:
        """Closes at once, in this slice, when the body can be (a threaded body still running
        closes later, when its thread calls :meth:`closed`)."""
        return _STOP if self._close() else None

    def _fail(self, exc: BaseException) -> None:
        self._table.exit(self.pid, error=ProcessError.from_exception(exc))

    def _close(self) -> bool:
        """Closes the body; False while a threaded body still runs (it calls closed())."""
        if self._closed:
            return True
        try:
            if not self.body.close():
                return False
        except Exception:
            logger.exception("closing the body of %s failed", self.pid)
        self._closed = True
        # A body that closed without finishing (e.g. actor stopped) still must leave the table.
        self._table.kill(self.pid, ProcessError("terminated", "process closed before finishing"))
        self._release_admission()  # a process that never started frees its place in the queue
        self._on_closed(self.record)
        return True


def _tell(ref: pykka.ActorRef[Any], message: _Control) -> None:
    """Sends ``message`` unless the actor already stopped."""
    with contextlib.suppress(pykka.ActorDeadError):
        ref.tell(message)
