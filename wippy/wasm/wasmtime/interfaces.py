"""Host interfaces (``wippy:process`` and the like) for core modules: functions that see the
instance's context and memory and may return a :class:`~wippy.wasm.spec.Wait` to suspend.

A function that may wait is an async host function (:mod:`.calls`); one that never waits is an
ordinary host function, one ctypes callback per call. Each guest has one :class:`HostCall`,
kept in its guard's engine cache, whose memory is rebound to the calling frame at every call;
the guest's ``memory`` export is looked up once.
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable, Sequence
from typing import Any

import wasmtime
from wasmtime import _ffi as ffi

from ..spec import GuestMemoryError, HostCall, HostFunc, HostInterface, Wait
from .calls import HostOp, define_async
from .guard import Guard, current_guard
from .host import Runner, define_sync, func_type, write_raw

_EXTERN_MEMORY = int(ffi.WASMTIME_EXTERN_MEMORY.value)


class _GuestMemory:
    """One guest's ``memory`` export, bounds-checked; rebound to each host call's caller. Its
    base and size come from the allocator's record when the guard has one (it follows grows and
    moves), else from wasmtime on first use in the call (the memory may have grown or moved)."""

    __slots__ = ("_base", "_caller", "_context", "_item", "_record", "_size")

    def __init__(self) -> None:
        self._caller: Any = None
        self._context: Any = None
        self._item: Any = None
        self._record: Any = None
        self._base = -1
        self._size = 0

    def rebind(self, caller: Any, record: Any) -> None:
        """Binds to one host call; ``record`` is the guard's memory record (see Guard.memory)."""
        self._caller = caller
        self._record = record
        self._base = -1

    def _refresh(self) -> None:
        if self._item is None:
            self._context = ffi.wasmtime_caller_context(self._caller)
            item = ffi.wasmtime_extern_t()
            found = ffi.wasmtime_caller_export_get(self._caller, b"memory", 6,
                                                   ctypes.byref(item))
            if not found or int(item.kind) != _EXTERN_MEMORY:
                raise GuestMemoryError("the guest exports no memory named `memory`")
            self._item = item
        memory = ctypes.byref(self._item.of.memory)
        base = ffi.wasmtime_memory_data(self._context, memory)
        self._base = ctypes.cast(base, ctypes.c_void_p).value or 0
        self._size = int(ffi.wasmtime_memory_data_size(self._context, memory))

    def _address(self, ptr: int, length: int) -> int:
        record = self._record
        if record is not None:  # the pool's record follows the memory as it grows or moves
            base: int = record.addr
            size: int = record.size
        else:
            if self._base < 0:
                self._refresh()
            base, size = self._base, self._size
        if ptr < 0 or length < 0 or ptr + length > size:
            raise GuestMemoryError(
                f"guest memory access out of bounds: {length} bytes at {ptr} "
                f"(memory is {size} bytes)"
            )
        return base + ptr

    def read(self, ptr: int, length: int) -> bytes:
        return ctypes.string_at(self._address(ptr, length), length)

    def write(self, ptr: int, data: bytes) -> None:
        ctypes.memmove(self._address(ptr, len(data)), data, len(data))


def _host_call(guard: Guard, caller: Any) -> HostCall:
    """The guest's :class:`HostCall`, its memory rebound to this call."""
    cache = guard.cache
    if cache is None:
        cache = guard.cache = {}
    call: HostCall | None = cache.get("host_call")
    if call is None:
        call = cache["host_call"] = HostCall(guard.context, _GuestMemory(), guard.state)
    call.memory.rebind(caller, guard.memory)  # type: ignore[attr-defined]
    return call


_FIELD = {"i32": "i32", "i64": "i64", "f32": "f32", "f64": "f64"}


def _reader(params: tuple[str, ...]) -> Callable[[Any], list[Any]]:
    """Reads a call's arguments (``wasmtime_val_t`` array) by the declared types."""
    fields = [_FIELD[t] for t in params]
    if all(f == "i32" for f in fields):
        n = len(fields)
        return lambda args: [args[i].of.i32 for i in range(n)]
    return lambda args: [getattr(args[i].of, f) for i, f in enumerate(fields)]


def _writer(results: tuple[str, ...]) -> Callable[[Any, Any], None]:
    if not results:
        return lambda out, value: None
    if len(results) == 1:
        ty = results[0]
        return lambda out, value: write_raw(out[0], ty, value)

    def write_all(out: Any, value: Any) -> None:
        for i, (ty, item) in enumerate(zip(results, value)):
            write_raw(out[i], ty, item)

    return write_all


class _WaitOp(HostOp):
    """A host interface call waiting for its :class:`Wait`."""

    __slots__ = ("wait", "write")

    def __init__(self, guard: Guard, wait: Wait, write: Callable[[Any, Any], None]) -> None:
        super().__init__(guard)
        self.wait = wait
        self.write = write

    def waiting_on(self) -> str | None:
        return self.wait.label

    def finish(self) -> None:
        self.write(self.results, self.wait.outcome())

    def cancel(self) -> None:
        self.wait.cancel()


def _begin_for(func: HostFunc) -> Any:
    fn, read, write = func.fn, _reader(func.params), _writer(func.results)

    def begin(caller: Any, args: Any, nargs: int, results: Any, nresults: int) -> HostOp | None:
        guard = current_guard()
        if guard is None:
            raise RuntimeError("host function called outside a guest call")
        value = fn(_host_call(guard, caller), *read(args))
        if isinstance(value, Wait):
            op = _WaitOp(guard, value, write)
            value.bind(op.wake)
            if value.done:  # already over: no need to suspend
                op.ready = True
            return op
        write(results, value)
        return None

    return begin


def _sync_for(name: str, func: HostFunc) -> Runner:
    fn, read, write = func.fn, _reader(func.params), _writer(func.results)

    def run(caller: Any, args: Any, results: Any) -> None:
        guard = current_guard()
        if guard is None:
            raise RuntimeError("host function called outside a guest call")
        value = fn(_host_call(guard, caller), *read(args))
        if isinstance(value, Wait):
            value.cancel()
            raise RuntimeError(f"{name} returned a Wait but is not declared may_wait")
        write(results, value)

    return run


def define_host_interfaces(linker: wasmtime.Linker, interfaces: Sequence[HostInterface]) -> None:
    """Defines every function of ``interfaces`` on ``linker`` (async when it may wait).

    Raises ValueError for a type name other than i32, i64, f32 or f64.
    """
    for interface in interfaces:
        for name, func in interface.functions.items():
            functype = func_type(interface.name, name, func.params, func.results)
            if func.may_wait:
                define_async(linker, interface.name, name, functype, _begin_for(func))
            else:
                define_sync(linker, interface.name, name, functype,
                            _sync_for(f"{interface.name}.{name}", func))
