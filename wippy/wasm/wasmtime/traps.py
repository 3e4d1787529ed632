"""Turns what wasmtime raises while a guest runs into wippy's error types."""

from __future__ import annotations

from collections.abc import Callable

import wasmtime

from ..errors import (
    ExecutionTimeout,
    ExitError,
    FuelExhausted,
    GuestError,
    HostFunctionError,
    MemoryLimitExceeded,
    Terminated,
    TrapError,
)
from ..spec import ProgramSpec
from .engine import error_text
from .guard import Guard

_PAGE = 65536


class NormalExit(Exception):
    """The guest called ``proc_exit(0)``: a successful end of the run."""


def translate(
    exc: BaseException,
    guard: Guard,
    spec: ProgramSpec,
    memory_in_use: Callable[[], int],
    fuel_left: Callable[[], int],
) -> BaseException:
    """Returns the wippy exception for ``exc`` raised by a guest run (NormalExit for status 0)."""
    entry = spec.entry_id
    if isinstance(exc, wasmtime.ExitTrap):
        if exc.code == 0:
            return NormalExit()
        return ExitError(f"{entry}: guest exited with status {exc.code}", exc.code)
    if guard.stop_reason == "timeout":
        limit = spec.limits.max_execution
        return ExecutionTimeout(f"{entry}: execution time limit of {_ms(limit)} exceeded")
    if guard.stop_reason is not None:
        return Terminated(f"{entry}: guest {guard.stop_reason}")
    if guard.host_error is not None:
        host = guard.host_error
        error = HostFunctionError(
            f"{entry}: host function raised {type(host).__name__}: {host}"
        )
        error.__cause__ = host
        return error
    message = error_text(exc)
    code = getattr(exc, "trap_code", None)
    if code == wasmtime.TrapCode.OUT_OF_FUEL or (
        spec.limits.fuel is not None and fuel_left() == 0
    ):
        return FuelExhausted(f"{entry}: fuel budget of {spec.limits.fuel} exhausted")
    limit = spec.limits.max_memory
    if limit is not None:
        in_use = memory_in_use()
        if in_use + _PAGE > limit:
            return MemoryLimitExceeded(
                f"{entry}: memory limit of {limit} bytes reached ({in_use} bytes in use); "
                f"the guest then failed: {message}"
            )
    if isinstance(exc, (wasmtime.Trap, wasmtime.WasmtimeError)):
        return TrapError(f"{entry}: guest trapped: {message}")
    return GuestError(f"{entry}: {type(exc).__name__}: {exc}")


def _ms(seconds: float | None) -> str:
    return "?" if seconds is None else f"{seconds * 1000:g} ms"
