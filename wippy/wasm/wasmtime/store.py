"""What core and component instances share: one store per instance, its limits, its guard and
its deadline timer."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import wasmtime

from ..api import Instance
from ..errors import ExecutionTimeout, Terminated, WasmError
from ..spec import ProgramSpec
from .guard import Guard, install_epoch_callback

if TYPE_CHECKING:
    from wippy.timers import TimerHandle

    from .engine import WasmtimeEngine

_UNLIMITED_FUEL = 2**63 - 1


class StoreInstance(Instance):
    """An instance living in its own store, with the entry's fuel, memory and time limits.

    ``max_execution`` is a deadline for the instance's whole life from its first call: a busy
    guest is stopped at its next epoch check, and a timer on the engine's timer thread stops a
    guest that waits (and tells :meth:`watch_overdue`'s handler) when the deadline passes.
    """

    def __init__(self, engine: WasmtimeEngine, spec: ProgramSpec, context: Any = None) -> None:
        self.spec = spec
        self.engine = engine
        self.guard = Guard()
        self.guard.context = context
        self.stdin_path: str | None = None
        self.closed = False
        self._overdue: Callable[[BaseException], object] | None = None
        self._deadline_timer: TimerHandle | None = None
        store = wasmtime.Store(engine.engine)
        self.store = store
        limits = spec.limits
        store.set_fuel(limits.fuel if limits.fuel is not None else _UNLIMITED_FUEL)
        if limits.max_memory is not None:
            store.set_limits(memory_size=limits.max_memory)
        install_epoch_callback(store)
        engine.ticker.ensure_running()

    def fuel_left(self) -> int:
        """Fuel left in the store (-1 when the engine cannot tell)."""
        try:
            return int(self.store.get_fuel())
        except wasmtime.WasmtimeError:
            return -1

    def check_callable(self) -> None:
        """Raises before entering the guest when the instance is closed or was interrupted."""
        if self.closed:
            raise WasmError(f"{self.spec.entry_id}: instance is closed")
        if self.guard.stop_requested is not None:
            if self.guard.stop_requested == "timeout":
                raise timeout_error(self.spec)
            raise Terminated(f"{self.spec.entry_id}: guest {self.guard.stop_requested}")

    def interrupt(self, reason: str = "terminated") -> None:
        self.guard.request_stop(reason)

    def watch_overdue(self, handler: Callable[[BaseException], object]) -> None:
        """Calls ``handler`` with the :class:`ExecutionTimeout` (once, on the engine's timer
        thread) when ``max_execution`` passes while a call is in progress, running or waiting;
        the call itself then raises the same error. No effect without a ``max_execution``."""
        if self.spec.limits.max_execution is not None:
            self._overdue = handler

    def begin_call(self) -> None:
        """Marks a call as started: resets the guard and arms the deadline timer."""
        guard = self.guard
        guard.reset(self.spec.limits.max_execution)
        guard.in_call = True
        if guard.deadline is not None and self._deadline_timer is None:
            self._deadline_timer = self.engine.timers.schedule_at(guard.deadline, self._on_deadline)

    def end_call(self) -> None:
        """Marks the call as over (the deadline timer stays armed for the next call)."""
        self.guard.in_call = False

    def reset_limits(self) -> bool:
        """Re-arms fuel and ``max_execution`` for a next call (a pooled function instance)."""
        if self.closed or self.guard.stop_requested is not None:
            return False
        timer, self._deadline_timer = self._deadline_timer, None
        if timer is not None:
            timer.cancel()
        self.guard.deadline = None
        limits = self.spec.limits
        self.store.set_fuel(limits.fuel if limits.fuel is not None else _UNLIMITED_FUEL)
        return True

    def _on_deadline(self) -> None:
        guard = self.guard
        if self.closed or not guard.in_call:
            return
        handler = self._overdue
        guard.request_stop("timeout")
        if handler is not None:
            handler(timeout_error(self.spec))

    def release(self) -> None:
        """Drops references into the store before it is closed; subclasses extend it."""

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        self.guard.waker = None
        self.guard.request_stop("closed")
        timer, self._deadline_timer = self._deadline_timer, None
        if timer is not None:
            timer.cancel()
        self._overdue = None
        self.release()
        self.guard.cache = None
        self.guard.state = {}
        self.store.close()
        if self.stdin_path is not None:
            with contextlib.suppress(OSError):
                os.unlink(self.stdin_path)


def timeout_error(spec: ProgramSpec) -> ExecutionTimeout:
    """The error of a run of ``spec`` that exceeded its ``max_execution``."""
    limit = spec.limits.max_execution
    shown = "?" if limit is None else f"{limit * 1000:g} ms"
    return ExecutionTimeout(f"{spec.entry_id}: execution time limit of {shown} exceeded")
