"""The engine-neutral interface between wippy's processes and a WebAssembly engine.

A :class:`Program` is an entry made ready to run: verified, compiled, linked and with its export
resolved. It is immutable and shared by every process of the entry. An :class:`Instance` is one
live guest, created with :meth:`Program.instantiate` (Init) and released with
:meth:`Instance.close` (Close). It runs its export in one of two ways:

- **stepped** (:attr:`Instance.steppable`): :meth:`Instance.start` begins the call and each
  :meth:`Instance.poll` advances it once (Step) until the guest finishes, its time slice ends, or
  it waits in a host call; a waiting guest holds no thread, and the waker given to
  :meth:`Instance.set_waker` is called (from any thread) when it can go on;
- **blocking**: :meth:`Instance.call` runs the export to completion on the calling thread (every
  engine supports it; a stepped instance drives its own polls).
"""

from __future__ import annotations

import abc
import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .spec import InputStream

OutputSink = Callable[[bytes], None]
"""Receives bytes a guest wrote to stdout or stderr, as they are written."""

Waker = Callable[[], None]
"""Called (from any thread, possibly more than once) when a waiting guest may be polled again."""


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


class PollStatus(enum.Enum):
    """What one :meth:`Instance.poll` ended with."""

    DONE = "done"
    """The call finished; :attr:`Instance.result` holds its value."""
    YIELDED = "yielded"
    """The guest's time slice ended (or it called ``sched_yield``): poll it again soon."""
    SUSPENDED = "suspended"
    """The guest waits in a host call; the waker is called once it may be polled again."""


class Instance(abc.ABC):
    """One live guest. Not thread-safe except for :meth:`interrupt`.

    Polls of one instance may come from different threads, one at a time.
    """

    steppable: bool = False
    """True when :meth:`start`/:meth:`poll` are available (the guest runs on a fiber)."""

    observes_cancel: bool = False
    """True when the guest can receive a CANCEL (it imports the process API)."""

    result: Any = None
    """The value of the finished stepped call (after :meth:`poll` returned DONE)."""

    @abc.abstractmethod
    def call(self, args: Sequence[Any]) -> Any:
        """Runs the entry's export with ``args`` (already checked) and returns its result.

        Blocks the calling thread while the guest waits. Raises a
        :class:`~wippy.wasm.errors.GuestError` subclass when the guest traps, exits with a
        non-zero status, hits a limit or is interrupted.
        """

    def start(self, args: Sequence[Any]) -> None:
        """Begins a stepped call of the export with ``args`` (already checked).

        Raises NotImplementedError unless :attr:`steppable`.
        """
        raise NotImplementedError(f"{type(self).__name__} cannot be stepped")

    def poll(self) -> PollStatus:
        """Advances the stepped call once; raises the guest's ``GuestError`` when it fails."""
        raise NotImplementedError(f"{type(self).__name__} cannot be stepped")

    def set_waker(self, waker: Waker | None) -> None:  # noqa: B027 - optional hook
        """Sets what is called when a suspended guest may be polled again."""

    def set_slice(self, seconds: float | None) -> None:  # noqa: B027 - optional hook
        """Sets the time slice after which a running stepped guest yields (None: never)."""

    @abc.abstractmethod
    def interrupt(self, reason: str = "terminated") -> None:
        """Asks a running call to stop as soon as possible; callable from any thread.

        The interrupted call raises :class:`~wippy.wasm.errors.Terminated`.
        """

    @abc.abstractmethod
    def close(self) -> None:
        """Releases the instance and everything it holds (a suspended call is dropped).
        Idempotent."""

    def reset_limits(self) -> bool:
        """Gives the next :meth:`call` the entry's per-call limits afresh: a ``max_execution``
        deadline counted from now and a full ``fuel`` budget. Returns whether the engine did.

        The default cannot, and says so (False): a pool then never reuses an instance of an
        entry with such limits for a second call, since they would not hold per call.
        """
        return False

    def watch_overdue(self, handler: Callable[[BaseException], object]) -> None:  # noqa: B027
        """Has ``handler`` called (from another thread) with the timeout error when the entry's
        ``max_execution`` passes while a call is still running or waiting.

        Engines that cannot watch a deadline ignore it (the default).
        """


class Program(abc.ABC):
    """An entry ready to instantiate; thread-safe and shared by all of the entry's processes."""

    entry_id: str
    signature: Signature
    steppable: bool = False
    """True when its instances are stepped (:attr:`Instance.steppable`)."""
    observes_cancel: bool = False
    """True when its guests can receive a CANCEL (they import the process API)."""
    may_block: bool = True
    """True when a step of its guests may block the thread (a Python host function, a
    FIFO read): only steps that never block may run on a thread waiting for them."""

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
        stdin: bytes | InputStream = b"",
        context: object = None,
    ) -> Instance:
        """Creates a fresh instance with the entry's WASI, imports and limits (Init).

        Guest output goes to ``stdout``/``stderr`` (discarded when ``None``); ``stdin`` is the
        bytes the guest reads, or a live :class:`~wippy.wasm.spec.InputStream` whose reads
        suspend a stepped guest until input arrives (engines that cannot, read it as empty).
        ``context`` is
        handed to the host interfaces the guest calls (:class:`~wippy.wasm.spec.HostCall`).
        Raises :class:`~wippy.wasm.errors.WasmError` when instantiation fails.
        """
