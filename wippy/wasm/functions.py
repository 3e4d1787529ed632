"""Function entries (``function.wasm``, ``function.wat``) called synchronously from any thread.

A :class:`Function` wraps the entry's :class:`~wippy.wasm.api.Program` and a pool of its
instances (see :class:`~wippy.config.Pool`): each :meth:`Function.call` takes an instance, runs
the export once and gives the instance back, or closes it when the call failed (a trap, a
limit, an exit: its state cannot be trusted) or when it cannot be reused.

Limits are per call. An instance is reused under ``fuel`` or ``max_execution_ms`` only when the
engine re-arms them for each call (:meth:`Instance.reset_limits`); otherwise every call of such
an entry gets a fresh instance (the pool still bounds how many run at once). wasmer instances
stay on the thread that made them, so on wasmer every call gets a fresh one as well.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from typing import Any

from ..config import FunctionEntry
from .api import Instance, OutputSink, Program, Signature
from .pool import FunctionBusyError, FunctionClosedError, InstancePool, PoolStats
from .wit_core import WitCall

__all__ = ["Function", "FunctionBusyError", "FunctionClosedError", "PoolStats"]

log = logging.getLogger(__name__)

THREAD_BOUND_ENGINES = frozenset({"wasmer"})
"""Engines whose instances must be used on the thread that created them."""


class Function:
    """A function entry ready to call: ``call(*args)`` returns the export's result or raises.

    Thread-safe: calls from many threads share the pool. Built by
    :meth:`WasmRuntime.function <wippy.wasm.WasmRuntime.function>`, which owns and closes it.
    """

    def __init__(
        self,
        entry: FunctionEntry,
        program: Program,
        *,
        engine: str,
        stdout: OutputSink | None = None,
        stderr: OutputSink | None = None,
    ) -> None:
        self.entry_id = entry.id
        self.program = program
        wit = entry.wit_function
        self._wit = None if wit is None else WitCall.bind(entry.id, wit, program.signature)
        self.signature: Signature = program.signature if self._wit is None else self._wit.signature
        """The signature calls are checked against: the ``wit`` one when the entry has it."""
        self._stdout = stdout
        self._stderr = stderr
        limits = entry.limits
        self._limited = limits.fuel is not None or limits.max_execution_ms is not None
        self._rearms: bool | None = None  # whether the engine re-arms limits; known once probed
        self._probe_lock = threading.Lock()
        pool = entry.pool
        self._single_use = pool.type == "inline" or engine in THREAD_BOUND_ENGINES
        capacity = None if pool.type == "inline" else pool.capacity
        self.pool = InstancePool(
            entry.id, self._instantiate, capacity=capacity, wait_timeout=pool.wait_timeout,
            description=f"{pool.type} pool" if capacity is None else
            f"{pool.type} pool of {capacity}",
        )
        if pool.type == "static" and not self._single_use:
            self._prewarm(pool.size or 0)

    def _instantiate(self) -> Instance:
        return self.program.instantiate(stdout=self._stdout, stderr=self._stderr)

    def _prewarm(self, size: int) -> None:
        first = self.pool.acquire()
        if self._limited and not self._arm(first):
            # Its deadline already runs: instances made ahead would be spent before a call.
            self.pool.release(first, reuse=False)
            log.info("%s: the engine cannot re-arm per-call limits, so each call gets a fresh "
                     "instance instead of the %d made up front", self.entry_id, size)
            return
        self.pool.release(first, reuse=True)
        self.pool.fill(size)

    def _arm(self, instance: Instance) -> bool:
        """Re-arms ``instance``'s limits for a call; False when the engine cannot."""
        armed = instance.reset_limits()
        with self._probe_lock:
            if self._rearms is None:
                self._rearms = armed
                if not armed:
                    self._single_use = True
        return armed

    def convert_args(self, args: Sequence[Any]) -> tuple[Any, ...]:
        """The export's arguments for ``args`` (by ``wit`` when the entry has it).

        Raises :class:`~wippy.wasm.errors.ArgumentError` naming the export and its signature.
        """
        return self.program.convert_args(args) if self._wit is None else self._wit.lower(args)

    def call(self, *args: Any) -> Any:
        """Calls the export with ``args`` on a pooled instance and returns its result (None
        without one; a list for several results; converted by ``wit`` when the entry has it).

        Raises :class:`~wippy.wasm.errors.ArgumentError` before taking an instance,
        :class:`FunctionBusyError` when the pool stays full for its ``wait_timeout``,
        :class:`FunctionClosedError` once closed, a :class:`~wippy.wasm.errors.GuestError`
        subclass naming the entry when the guest fails (its instance is then discarded), and
        :class:`~wippy.wasm.errors.WasmError` when an instance cannot be created.
        """
        converted = self.convert_args(args)
        instance = self.pool.acquire()
        reuse = False
        try:
            if self._limited:
                self._arm(instance)
            result = instance.call(converted)
            reuse = not self._single_use
        finally:
            self.pool.release(instance, reuse=reuse)
        return result if self._wit is None else self._wit.lift(result)

    def stats(self) -> PoolStats:
        """The pool's current counts (idle, busy, created, discarded). Never raises."""
        return self.pool.stats()

    def close(self) -> None:
        """Closes the pooled instances; calls still running close theirs when they end, and
        later calls raise :class:`FunctionClosedError`. Idempotent."""
        self.pool.close()

    def __repr__(self) -> str:
        return f"Function({self.entry_id!r}, {self.signature})"
