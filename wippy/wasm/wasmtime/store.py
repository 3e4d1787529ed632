"""What core and component instances share: one store per instance, its limits and its guard."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from typing import TYPE_CHECKING

import wasmtime

from ..api import Instance
from ..errors import ExecutionTimeout, Terminated, WasmError
from ..spec import ProgramSpec
from .guard import Guard, install_epoch_callback

if TYPE_CHECKING:
    from .engine import WasmtimeEngine

_UNLIMITED_FUEL = 2**63 - 1


class StoreInstance(Instance):
    """An instance living in its own store, with the entry's fuel, memory and time limits."""

    def __init__(self, engine: WasmtimeEngine, spec: ProgramSpec) -> None:
        self.spec = spec
        self.engine = engine
        self.guard = Guard()
        self.stdin_path: str | None = None
        self.closed = False
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
            raise Terminated(f"{self.spec.entry_id}: guest {self.guard.stop_requested}")

    def interrupt(self, reason: str = "terminated") -> None:
        self.guard.request_stop(reason)

    def watch_overdue(self, handler: Callable[[BaseException], object]) -> None:
        """Calls ``handler`` with the :class:`ExecutionTimeout` as soon as ``max_execution``
        passes while a call is still running, even when the guest is blocked in a host call that
        epoch interruption cannot reach. The handler runs once, on the engine's ticker thread; the
        call itself then raises the same error when it gets control back. No effect without a
        ``max_execution`` limit."""
        if self.spec.limits.max_execution is None:
            return
        error = timeout_error(self.spec)
        self.guard.on_overdue = lambda: handler(error)
        self.engine.ticker.watch(self.guard)

    def release(self) -> None:
        """Drops references into the store before it is closed; subclasses extend it."""

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        self.guard.request_stop("closed")
        self.engine.ticker.unwatch(self.guard)
        self.guard.on_overdue = None
        self.release()
        self.store.close()
        if self.stdin_path is not None:
            with contextlib.suppress(OSError):
                os.unlink(self.stdin_path)


def timeout_error(spec: ProgramSpec) -> ExecutionTimeout:
    """The error of a run of ``spec`` that exceeded its ``max_execution``."""
    limit = spec.limits.max_execution
    shown = "?" if limit is None else f"{limit * 1000:g} ms"
    return ExecutionTimeout(f"{spec.entry_id}: execution time limit of {shown} exceeded")
