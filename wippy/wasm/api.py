"""The engine-neutral interface between wippy's processes and a WebAssembly engine.

A :class:`Program` is an entry made ready to run: verified, compiled, linked and with its export
resolved. It is immutable and shared by every process of the entry. An :class:`Instance` is one
live guest, owned by exactly one thread, created with :meth:`Program.instantiate` (Init), run with
:meth:`Instance.call` (Step) and released with :meth:`Instance.close` (Close).
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

OutputSink = Callable[[bytes], None]
"""Receives bytes a guest wrote to stdout or stderr, as they are written."""


@dataclass(frozen=True)
class Signature:
    """The parameter and result types of the export an entry calls, as printable type names."""

    export: str
    params: tuple[tuple[str, str], ...]
    results: tuple[str, ...]

    def __str__(self) -> str:
        params = ", ".join(f"{name}: {ty}" if name else ty for name, ty in self.params)
        results = ", ".join(self.results)
        arrow = f" -> {results}" if self.results else ""
        return f"{self.export}({params}){arrow}"


class Instance(abc.ABC):
    """One live guest. Not thread-safe except for :meth:`interrupt`."""

    @abc.abstractmethod
    def call(self, args: Sequence[Any]) -> Any:
        """Runs the entry's export with ``args`` (already checked) and returns its result.

        Raises a :class:`~wippy.wasm.errors.GuestError` subclass when the guest traps, exits with a
        non-zero status, hits a limit or is interrupted.
        """

    @abc.abstractmethod
    def interrupt(self, reason: str = "terminated") -> None:
        """Asks a running :meth:`call` to stop as soon as possible; callable from any thread.

        The interrupted call raises :class:`~wippy.wasm.errors.Terminated`.
        """

    @abc.abstractmethod
    def close(self) -> None:
        """Releases the instance and everything it holds. Idempotent."""

    def reset_limits(self) -> bool:
        """Gives the next :meth:`call` the entry's per-call limits afresh: a ``max_execution``
        deadline counted from now and a full ``fuel`` budget. Returns whether the engine did.

        The default cannot, and says so (False): a pool then never reuses an instance of an
        entry with such limits for a second call, since they would not hold per call.
        """
        return False

    def watch_overdue(self, handler: Callable[[BaseException], object]) -> None:  # noqa: B027
        """Has ``handler`` called (from another thread) with the timeout error when the entry's
        ``max_execution`` passes while a call is still running, even one blocked in a host call.

        Engines that cannot watch a deadline ignore it (the default).
        """


class Program(abc.ABC):
    """An entry ready to instantiate; thread-safe and shared by all of the entry's processes."""

    entry_id: str
    signature: Signature

    @abc.abstractmethod
    def convert_args(self, args: Sequence[Any]) -> tuple[Any, ...]:
        """Converts spawn arguments to the export's parameter types.

        Raises :class:`~wippy.wasm.errors.ArgumentError` naming the export and its signature.
        """

    @abc.abstractmethod
    def instantiate(
        self,
        *,
        stdout: OutputSink | None = None,
        stderr: OutputSink | None = None,
        stdin: bytes = b"",
    ) -> Instance:
        """Creates a fresh instance with the entry's WASI, imports and limits (Init).

        Guest output goes to ``stdout``/``stderr`` (discarded when ``None``). Raises
        :class:`~wippy.wasm.errors.WasmError` when instantiation fails.
        """
