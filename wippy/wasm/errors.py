"""Errors raised while loading and running WebAssembly.

Every error carries a short machine-readable ``kind`` (used in EXIT events) and a message that
names the entry it concerns.
"""

from __future__ import annotations


class WasmError(Exception):
    """Base of every error wippy raises about a WebAssembly entry or guest."""

    kind: str = "wasm"

    def __init__(self, message: str, *, kind: str | None = None) -> None:
        super().__init__(message)
        if kind is not None:
            self.kind = kind

    @property
    def message(self) -> str:
        """The human-readable message."""
        return str(self.args[0]) if self.args else ""


class LoadError(WasmError):
    """The entry's binary could not be read, verified, compiled or linked."""

    kind = "load"


class HashMismatchError(LoadError):
    """The binary's digest differs from the entry's ``hash``."""

    kind = "hash_mismatch"


class LinkError(LoadError):
    """The module imports something its entry did not enable, or exports no such ``method``."""

    kind = "link"


class ArgumentError(WasmError):
    """Spawn arguments do not fit the export's signature."""

    kind = "args"


class GuestError(WasmError):
    """The guest failed while running."""

    kind = "guest"


class TrapError(GuestError):
    """The guest trapped (unreachable, out-of-bounds access, stack overflow, ...)."""

    kind = "trap"


class ExitError(GuestError):
    """The guest called ``proc_exit`` (or ``wasi:cli/exit``) with a non-zero status."""

    kind = "exit"

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class LimitError(GuestError):
    """The guest hit one of its entry's ``limits``; ``kind`` says which."""

    kind = "limit"


class ExecutionTimeout(LimitError):
    """``max_execution_ms`` elapsed."""

    kind = "timeout"


class FuelExhausted(LimitError):
    """The ``fuel`` budget ran out."""

    kind = "fuel"


class MemoryLimitExceeded(LimitError):
    """The guest needed more memory than ``max_memory``."""

    kind = "memory"


class Terminated(GuestError):
    """The guest was stopped from outside (terminate, runtime shutdown)."""

    kind = "terminated"


class HostFunctionError(GuestError):
    """A host function called by the guest raised; the original exception is ``__cause__``."""

    kind = "host"
