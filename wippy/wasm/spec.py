"""What an engine needs to know to run one entry, independent of the registry's YAML."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

HostFunction = Callable[..., Any]
"""A Python function a core module may import; called with the guest's arguments."""


@dataclass(frozen=True)
class Mount:
    """A host directory the guest sees at ``guest`` (an absolute guest path)."""

    host: Path
    guest: str
    read_only: bool = False


@dataclass(frozen=True)
class WasiSpec:
    """The guest's whole view of the host: nothing outside this is visible to it."""

    args: tuple[str, ...] = ()
    env: Mapping[str, str] = field(default_factory=dict)
    mounts: tuple[Mount, ...] = ()
    cwd: str | None = None


@dataclass(frozen=True)
class LimitSpec:
    """Per-process limits; ``None`` means unlimited."""

    max_execution: float | None = None
    """Wall-clock seconds for a whole run, computing and waiting."""
    fuel: int | None = None
    max_memory: int | None = None
    """Bytes of linear memory (summed over the store's memories)."""


@dataclass(frozen=True)
class HostModule:
    """Python functions offered to core modules under one import module name.

    ``functions`` maps an import name to ``(params, results, fn)`` where params and results are
    tuples of core type names (``"i32"``, ``"i64"``, ``"f32"``, ``"f64"``).
    """

    name: str
    functions: Mapping[str, tuple[tuple[str, ...], tuple[str, ...], HostFunction]]


class InputStream(Protocol):
    """A live input for a guest's stdin (the terminal, a pipe): read without blocking, and
    watched for data, so a guest reading it waits suspended."""

    def read(self, size: int) -> bytes | None:
        """Up to ``size`` bytes available now; ``b""`` at the end of the input; None when
        nothing has arrived yet."""

    def available(self) -> int:
        """How many bytes :meth:`read` can return now."""

    def at_end(self) -> bool:
        """True once the input has ended and everything was read."""

    def watch(self, callback: Callable[[], None]) -> None:
        """Calls ``callback`` once, from any thread, when data or the end arrives (at once when
        there is some already)."""


class GuestMemoryError(Exception):
    """A host call named guest memory outside the guest's memory (the guest traps)."""


class GuestMemory(Protocol):
    """The calling guest's linear memory, as a host interface function sees it."""

    def read(self, ptr: int, length: int) -> bytes:
        """The bytes at ``ptr``; raises :class:`GuestMemoryError` when out of bounds."""

    def write(self, ptr: int, data: bytes) -> None:
        """Writes ``data`` at ``ptr``; raises :class:`GuestMemoryError` when out of bounds."""


@dataclass(frozen=True)
class HostCall:
    """What a host interface function gets besides the guest's arguments: the ``context``
    object given to :meth:`~wippy.wasm.api.Program.instantiate`, the guest's ``memory`` and
    ``state``, a dict that lives as long as the instance, for the interfaces' own per-guest
    data (keyed by interface name)."""

    context: Any
    memory: GuestMemory
    state: dict[str, Any] = field(default_factory=dict)


class Wait:
    """The result of a host call that arrives later: returned by a host interface function, it
    suspends the guest (holding no thread) until :meth:`complete` or :meth:`fail` is called,
    from any thread. Its value becomes the host call's result; an error fails the guest.

    ``on_cancel`` runs (once) if the guest is dropped while it waits, to release what the wait
    registered (a timer, a mailbox watch).
    """

    __slots__ = ("_error", "_lock", "_on_cancel", "_state", "_value", "_waker")

    _PENDING, _DONE, _CANCELLED = 0, 1, 2

    def __init__(self, on_cancel: Callable[[], object] | None = None) -> None:
        self._lock = threading.Lock()
        self._state = Wait._PENDING
        self._value: Any = None
        self._error: BaseException | None = None
        self._waker: Callable[[], None] | None = None
        self._on_cancel = on_cancel

    @property
    def done(self) -> bool:
        """True once completed or failed."""
        return self._state == Wait._DONE

    def complete(self, value: Any = None) -> bool:
        """Ends the wait with ``value``; False when it had already ended."""
        return self._end(value, None)

    def fail(self, error: BaseException) -> bool:
        """Ends the wait with ``error`` (the guest fails with it); False when already ended."""
        return self._end(None, error)

    def _end(self, value: Any, error: BaseException | None) -> bool:
        with self._lock:
            if self._state != Wait._PENDING:
                return False
            self._state = Wait._DONE
            self._value, self._error = value, error
            waker = self._waker
        if waker is not None:
            waker()
        return True

    def bind(self, waker: Callable[[], None]) -> None:
        """(Engine) Sets what wakes the guest; called at once when already done."""
        with self._lock:
            self._waker = waker
            done = self._state == Wait._DONE
        if done:
            waker()

    def outcome(self) -> Any:
        """(Engine) The value, or raises the error, of a finished wait."""
        if self._error is not None:
            raise self._error
        return self._value

    def cancel(self) -> None:
        """(Engine) The guest was dropped while waiting: runs ``on_cancel`` once."""
        with self._lock:
            if self._state != Wait._PENDING:
                return
            self._state = Wait._CANCELLED
            on_cancel, self._on_cancel = self._on_cancel, None
        if on_cancel is not None:
            on_cancel()


@dataclass(frozen=True)
class HostFunc:
    """One function of a :class:`HostInterface`: core ``params``/``results`` types and
    ``fn(call: HostCall, *args)``, which returns the result (a tuple for several, None for none)
    or a :class:`Wait` for one that arrives later. Raising fails the guest with the error."""

    params: tuple[str, ...]
    results: tuple[str, ...]
    fn: Callable[..., Any]


@dataclass(frozen=True)
class HostInterface:
    """Host functions under one core import module (``wippy:process``), offered to the guests
    whose entry lists ``profile`` in ``imports``. ``observes_cancel``: a guest importing it can
    see CANCEL (so it gets a grace period instead of ending at once)."""

    name: str
    profile: str
    functions: Mapping[str, HostFunc]
    observes_cancel: bool = False


@dataclass(frozen=True)
class ComponentInterface:
    """Host functions of one WIT interface (``wippy:process/process@0.1.0``) for components
    whose entry lists ``profile`` in ``imports``: the component analog of
    :class:`HostInterface`.

    ``functions`` maps a WIT function name to ``fn(call: HostCall, *args)``; arguments and the
    result are in wippy's Python form of WIT values (:mod:`wippy.wasm.component_values`:
    records as dicts, variants as ``{case: payload}``, ``result`` as ``{"ok": v}``/``{"err":
    e}``). The function runs on the component's own thread and may block it. Raising fails
    the guest with the error (``call.memory`` is not available: components share no memory).
    """

    name: str
    profile: str
    functions: Mapping[str, Callable[..., Any]]
    observes_cancel: bool = False


@dataclass(frozen=True)
class ProgramSpec:
    """Everything needed to build a :class:`~wippy.wasm.api.Program`."""

    entry_id: str
    wasm: bytes
    digest: str
    """``sha256:<hex>`` of ``wasm``, already verified."""
    method: str
    imports: frozenset[str] = frozenset()
    wasi: WasiSpec = field(default_factory=WasiSpec)
    limits: LimitSpec = field(default_factory=LimitSpec)
    host_modules: tuple[HostModule, ...] = ()
    host_interfaces: tuple[HostInterface, ...] = ()
    component_interfaces: tuple[ComponentInterface, ...] = ()
