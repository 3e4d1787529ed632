"""A WebAssembly process: Init instantiates the program, Step calls it, Close releases it."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from typing import Any

from wippy.actors.body import Finished, ProcessBody
from wippy.wasm.api import Instance, OutputSink, Program
from wippy.wasm.errors import Terminated

logger = logging.getLogger(__name__)


class WasmBody(ProcessBody):
    """Runs one call of a :class:`~wippy.wasm.api.Program`'s export as a process.

    ``args`` must already be converted with :meth:`Program.convert_args` (done at spawn time so
    bad arguments fail the spawn). Guest stdout/stderr go to the given sinks. An interrupt before
    or during the call makes the process fail with ``Terminated`` (the table has already recorded
    the exit by then, so that error is not reported twice).

    ``on_overdue`` (called from another thread) receives the entry's ``ExecutionTimeout`` when
    ``max_execution`` passes while the guest is still running, including while it is blocked in a
    host call that the engine cannot interrupt: the process runtime uses it to fail the process
    at the deadline; the thread comes back when the blocked call returns.
    """

    kind = "wasm"

    def __init__(
        self,
        program: Program,
        args: Sequence[Any],
        *,
        stdout: OutputSink | None = None,
        stderr: OutputSink | None = None,
        on_overdue: Callable[[BaseException], object] | None = None,
    ) -> None:
        self._program = program
        self._on_overdue = on_overdue
        self._args = tuple(args)
        self._stdout = stdout
        self._stderr = stderr
        self._lock = threading.Lock()
        self._instance: Instance | None = None
        self._interrupted: str | None = None
        self._closed = False

    def init(self) -> None:
        """Instantiates the program. Raises the engine's ``WasmError`` when that fails."""
        instance = self._program.instantiate(stdout=self._stdout, stderr=self._stderr)
        if self._on_overdue is not None:
            instance.watch_overdue(self._on_overdue)
        with self._lock:
            if self._closed or self._interrupted is not None:
                reason = self._interrupted or "closed"
                instance.close()
                raise Terminated(f"{self._program.entry_id}: {reason} before start")
            self._instance = instance

    def step(self) -> Finished:
        """Runs the export to completion. Raises the guest's ``GuestError`` when it fails."""
        with self._lock:
            instance = self._instance
            if instance is None or self._interrupted is not None:
                reason = self._interrupted or "not instantiated"
                raise Terminated(f"{self._program.entry_id}: {reason}")
        return Finished(instance.call(self._args))

    def interrupt(self, reason: str) -> None:
        """Interrupts the running guest (or keeps it from starting)."""
        with self._lock:
            self._interrupted = reason
            instance = self._instance
        if instance is not None:
            instance.interrupt(reason)

    def close(self) -> None:
        """Closes the instance. Idempotent."""
        with self._lock:
            self._closed = True
            instance, self._instance = self._instance, None
        if instance is not None:
            instance.close()
