"""A Python function run as a process, on a thread of its own."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from wippy.actors.body import SUSPENDED, Activity, ProcessBody, StepOutcome
from wippy.actors.errors import ProcessTerminated
from wippy.actors.scheduler import Permit, ThreadPool

ProcessFunction = Callable[..., Any]
"""A Python function run as a process: ``fn(proc, *args)``; its return value is the EXIT value."""

_current = threading.local()


def current_process() -> Any:
    """The process handle of the function process running on this thread, or None."""
    return getattr(_current, "proc", None)


class FunctionBody(ProcessBody):
    """Runs ``fn(proc, *args)`` on a pooled thread, holding one of its host's permits while it
    runs (the process handle gives it back while it waits in ``receive``).

    The function counts as started when it is entered. Termination reaches it through its
    process handle: its next ``receive``/``send``/... raises ``ProcessTerminated``.
    """

    kind = "function"
    threaded = True

    def __init__(
        self,
        fn: ProcessFunction,
        proc: Any,
        args: tuple[Any, ...],
        pool: ThreadPool,
        permit: Permit,
    ) -> None:
        self._fn = fn
        self._proc = proc
        self._args = args
        self._pool = pool
        self._permit = permit
        self._lock = threading.Lock()
        self._submitted = False
        self._done = False

    @property
    def observes_cancel(self) -> bool:
        return True

    def init(self) -> bool:
        return False  # started once the function is entered, on its thread

    def step(self) -> StepOutcome:
        with self._lock:
            if self._submitted:
                return SUSPENDED
            self._submitted = True
        permit = self._permit
        handed = permit.queue.hand_over(permit)  # the worker's permit goes with the function
        try:
            self._pool.submit(self._run)
        except BaseException:
            if handed:
                permit.release()
            raise
        return SUSPENDED

    def _run(self) -> None:
        control = self.control
        try:
            if not self._permit.acquire():
                raise ProcessTerminated("stopped while waiting for a worker")
            control.started()
            _current.proc = self._proc
            value = self._fn(self._proc, *self._args)
        except BaseException as exc:
            control.fail(exc)
        else:
            control.complete(value)
        finally:
            _current.proc = None
            self._permit.release()
            with self._lock:
                self._done = True
            control.closed()

    def activity(self) -> Activity:
        """Runnable while it waits for a permit, running while it holds one, else on its
        thread (between giving the permit back and blocking in ``receive``)."""
        permit = self._permit
        if permit.waiting:
            return ("runnable", None)
        if permit.held:
            return ("running", None)
        return ("suspended", "thread")

    def interrupt(self, reason: str) -> None:
        """Ends a wait for a permit; the function itself stops at its next wippy call."""
        self._permit.cancel()

    def close(self) -> bool:
        with self._lock:
            return self._done or not self._submitted
