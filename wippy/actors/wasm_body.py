"""A WebAssembly process: Init instantiates the program, Steps run its export, Close drops it.

A core module's guest is stepped on its host's workers: each Step is one poll of its call on a
fiber, and a guest that waits (a sleep, ``receive``) is suspended holding no thread. Components
and wasmer guests cannot be stepped (their host calls block inside the engine), so they run on a
thread of their own, outside the host's workers.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

from wippy.actors.body import CONTINUE, SUSPENDED, Finished, ProcessBody, StepOutcome
from wippy.actors.scheduler import ThreadPool
from wippy.wasm.api import Instance, OutputSink, PollStatus, Program
from wippy.wasm.errors import Terminated
from wippy.wasm.spec import InputStream


class WasmBody(ProcessBody):
    """Runs one call of a :class:`~wippy.wasm.api.Program`'s export as a process.

    ``args`` must already be converted with :meth:`Program.convert_args` (done at spawn time so
    bad arguments fail the spawn). Guest stdout/stderr go to the given sinks; ``context`` is what
    the guest's host interfaces see; ``slice`` is its time slice in seconds; ``stdin`` a live
    input it reads as its stdin (a terminal host's). ``on_overdue``
    receives the entry's ``ExecutionTimeout`` (from another thread) when ``max_execution``
    passes while the guest runs or waits.
    """

    kind = "wasm"

    def __init__(
        self,
        program: Program,
        args: Sequence[Any],
        *,
        pool: ThreadPool,
        stdout: OutputSink | None = None,
        stderr: OutputSink | None = None,
        on_overdue: Callable[[BaseException], object] | None = None,
        context: object = None,
        slice_seconds: float | None = None,
        stdin: InputStream | None = None,
    ) -> None:
        self._program = program
        self._args = tuple(args)
        self._pool = pool
        self._stdout = stdout
        self._stderr = stderr
        self._on_overdue = on_overdue
        self._context = context
        self._slice = slice_seconds
        self._stdin = stdin
        self.threaded = not getattr(program, "steppable", False)
        self.holds_thread = self.threaded
        self.helpable = not self.threaded and not getattr(program, "may_block", True)
        self._lock = threading.Lock()
        self._instance: Instance | None = None
        self._interrupted: str | None = None
        self._closed = False
        self._submitted = False
        self._done = False

    @property
    def observes_cancel(self) -> bool:
        return bool(getattr(self._program, "observes_cancel", False))

    def _instantiate(self) -> Instance:
        instance = self._program.instantiate(
            stdout=self._stdout, stderr=self._stderr, context=self._context,
            stdin=b"" if self._stdin is None else self._stdin,
        )
        if self._on_overdue is not None:
            instance.watch_overdue(self._on_overdue)
        with self._lock:
            if self._closed or self._interrupted is not None:
                reason = self._interrupted or "closed"
                instance.close()
                raise Terminated(f"{self._program.entry_id}: {reason} before start")
            self._instance = instance
        return instance

    def init(self) -> bool:
        """Instantiates a stepped guest and starts its call; a threaded one does both on its
        thread. Raises the engine's ``WasmError`` when that fails."""
        if self.threaded:
            return False
        instance = self._instantiate()
        instance.set_waker(self.control.wake)
        instance.set_slice(self._slice)
        instance.start(self._args)
        return True

    def step(self) -> StepOutcome:
        """One poll of the guest (stepped), or hands a threaded guest its thread."""
        if self.threaded:
            with self._lock:
                if self._submitted:
                    return SUSPENDED
                self._submitted = True
            self._pool.submit(self._run_threaded)
            return SUSPENDED
        instance = self._instance
        if instance is None:
            raise Terminated(f"{self._program.entry_id}: not instantiated")
        status = instance.poll()
        if status is PollStatus.DONE:
            return Finished(instance.result)
        if status is PollStatus.YIELDED:
            return CONTINUE
        return SUSPENDED

    def _run_threaded(self) -> None:
        control = self.control
        instance: Instance | None = None
        try:
            instance = self._instantiate()
            control.started()
            value = instance.call(self._args)
        except BaseException as exc:
            control.fail(exc)
        else:
            control.complete(value)
        finally:
            with self._lock:
                self._instance = None
                self._done = True
            if instance is not None:
                instance.close()
            control.closed()

    def interrupt(self, reason: str) -> None:
        """Interrupts the guest (or keeps it from starting); any thread."""
        with self._lock:
            self._interrupted = reason
            instance = self._instance
        if instance is not None:
            instance.interrupt(reason)

    def close(self) -> bool:
        """Closes a stepped guest's instance (dropping a suspended call); a threaded guest's
        thread closes its own instance. Idempotent."""
        with self._lock:
            self._closed = True
            if self.threaded:
                return self._done or not self._submitted
            instance, self._instance = self._instance, None
        if instance is not None:
            instance.close()
        return True
