"""Python host functions for core modules, defined on a wasmtime linker.

Unlike ``wasmtime.Linker.define_func``, an exception raised by the Python function is recorded on
the calling guest's own :class:`~wippy.wasm.wasmtime.guard.Guard` (found through the thread the
guest runs on), never in wasmtime-py's module-wide global.
"""

from __future__ import annotations

import ctypes
import itertools
import threading
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

import wasmtime
from wasmtime import _ffi as ffi

from ..spec import HostFunction, HostModule
from .guard import current_guard

VALTYPES = {
    "i32": wasmtime.ValType.i32,
    "i64": wasmtime.ValType.i64,
    "f32": wasmtime.ValType.f32,
    "f64": wasmtime.ValType.f64,
}
_KIND = {"i32": 0, "i64": 1, "f32": 2, "f64": 3}
_FIELD = {0: "i32", 1: "i64", 2: "f32", 3: "f64"}

T = TypeVar("T")


class Handles(Generic[T]):
    """Python objects by integer key, for the ``void *env`` of wasmtime callbacks; thread-safe.

    Keys start at 1 (a null ``env`` reads back as 0) and are never reused.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: dict[int, T] = {}
        self._keys = itertools.count(1)

    def add(self, value: T) -> int:
        """Stores ``value``; returns its key."""
        with self._lock:
            key = next(self._keys)
            self._items[key] = value
            return key

    def get(self, key: int) -> T:
        """The value of ``key``. Raises KeyError once it was removed."""
        with self._lock:
            return self._items[key]

    def set(self, key: int, value: T) -> None:
        """Replaces the value of a live ``key``."""
        with self._lock:
            if key in self._items:
                self._items[key] = value

    def remove(self, key: int) -> None:
        """Forgets ``key`` (no-op when absent)."""
        with self._lock:
            self._items.pop(key, None)

    def pop(self, key: int) -> T | None:
        """Forgets ``key`` and returns its value (None when absent)."""
        with self._lock:
            return self._items.pop(key, None)

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)


Runner = Callable[[Any, Any, Any], None]
"""A host function as its callback runs it: ``run(caller, args, results)``, the arguments and
results being the call's ``wasmtime_val_t`` arrays."""

_runners: Handles[Runner] = Handles()


def read_raw(val: Any) -> int | float:
    """Reads a numeric ``wasmtime_val_t``."""
    return getattr(val.of, _FIELD[val.kind])  # type: ignore[no-any-return]


def write_raw(val: Any, ty: str, value: Any) -> None:
    """Writes a Python number into a ``wasmtime_val_t`` of core type ``ty``."""
    val.kind = _KIND[ty]
    setattr(val.of, ty, value)


def new_trap(message: str) -> int:
    """A new wasmtime trap with ``message``, as the pointer a callback returns."""
    data = message.encode("utf-8")
    trap = ffi.wasmtime_trap_new(data, len(data))
    return ctypes.cast(trap, ctypes.c_void_p).value or 0


def host_call_failed(exc: BaseException, message: str) -> int:
    """Records ``exc`` for the guest calling on this thread (its call re-raises it) and returns
    a trap with ``message`` for the callback to return."""
    guard = current_guard()
    if guard is not None:
        guard.host_error = exc
    return new_trap(message)


@ffi.wasmtime_func_callback_t  # type: ignore[untyped-decorator]
def _trampoline(env: Any, caller: Any, args: Any, nargs: int, results: Any, nresults: int) -> int:
    try:
        _runners.get(env or 0)(caller, args, results)
        return 0
    except BaseException as exc:  # recorded for the calling guest, re-raised by its call
        return host_call_failed(exc, f"host function raised {type(exc).__name__}: {exc}")


@ctypes.CFUNCTYPE(None, ctypes.c_void_p)  # type: ignore[untyped-decorator]
def _finalize(env: Any) -> None:
    _runners.remove(env or 0)


def func_type(owner: str, name: str, params: Sequence[str], results: Sequence[str]) -> Any:
    """The ``wasmtime.FuncType`` of host function ``owner.name``.

    Raises ValueError for a type name other than i32, i64, f32 or f64.
    """
    for ty in (*params, *results):
        if ty not in VALTYPES:
            raise ValueError(f"host function {owner}.{name}: unknown type {ty!r}")
    return wasmtime.FuncType([VALTYPES[t]() for t in params], [VALTYPES[t]() for t in results])


def define_sync(linker: wasmtime.Linker, owner: str, name: str, functype: Any,
                run: Runner) -> None:
    """Defines ``owner.name`` on ``linker`` as a host function whose calls run ``run``; what it
    raises fails the calling guest (see :func:`host_call_failed`)."""
    module, field = owner.encode("utf-8"), name.encode("utf-8")
    key = _runners.add(run)
    error = ffi.wasmtime_linker_define_func(
        linker.ptr(), module, len(module), field, len(field), functype.ptr(),
        _trampoline, key, _finalize,
    )
    if error:
        raise wasmtime.WasmtimeError._from_ptr(error)


def _module_runner(fn: HostFunction, nparams: int, result_types: tuple[str, ...]) -> Runner:
    def run(_caller: Any, args: Any, results: Any) -> None:
        value = fn(*[read_raw(args[i]) for i in range(nparams)])
        if len(result_types) == 1:
            write_raw(results[0], result_types[0], value)
        elif result_types:
            for i, (ty, item) in enumerate(zip(result_types, value)):
                write_raw(results[i], ty, item)

    return run


def define_host_modules(linker: wasmtime.Linker, modules: Sequence[HostModule]) -> None:
    """Defines every function of ``modules`` on ``linker``.

    Raises ValueError for a type name other than i32, i64, f32 or f64.
    """
    for module in modules:
        for name, (params, results, fn) in module.functions.items():
            functype = func_type(module.name, name, params, results)
            define_sync(linker, module.name, name, functype,
                        _module_runner(fn, len(params), tuple(results)))
