"""wasmtime-py's low-level path, the engine's best from Python: the "raw wasmtime low-level" column.

``Func.__call__`` (the "raw wasmtime" column) checks and converts its arguments and allocates
value arrays on every call, which is what a user of wasmtime-py's API gets. This is what the
C API allows instead: ``wasmtime_func_call`` on ``wasmtime_val_t`` arrays allocated once, and
instances made with ``wasmtime_instance_pre_instantiate`` from a pre-linked module, the calls
wippy makes, without any of wippy around them. Only i32 parameters and results are needed here.
"""

from __future__ import annotations

import ctypes
from typing import Any

import wasmtime
from wasmtime import _ffi as ffi


class LowLevelError(RuntimeError):
    """wasmtime reported an error or a trap on the low-level path."""


def _check(error: Any, trap: Any) -> None:
    if error:
        raise LowLevelError(str(wasmtime.WasmtimeError._from_ptr(error)))
    if trap:
        raise LowLevelError(str(wasmtime.Trap._from_ptr(trap)))


class I32Call:
    """Calls one exported ``(i32, ...) -> i32`` function through preallocated value arrays."""

    def __init__(self, store: wasmtime.Store, func: Any, nparams: int) -> None:
        self._context = store._context()
        self._func = ctypes.byref(func)
        self._params = (ffi.wasmtime_val_t * max(nparams, 1))()
        for value in self._params:
            value.kind = ffi.WASMTIME_I32.value
        self._nparams = nparams
        self._results = (ffi.wasmtime_val_t * 1)()
        self._trap = ctypes.POINTER(ffi.wasm_trap_t)()
        self._store = store  # keeps the store (and so the instance) alive

    def __call__(self, *args: int) -> int:
        """Calls the function with ``args``; returns its i32 result. Raises LowLevelError."""
        params = self._params
        for i, value in enumerate(args):
            params[i].of.i32 = value
        error = ffi.wasmtime_func_call(
            self._context, self._func, params, self._nparams, self._results, 1,
            ctypes.byref(self._trap),
        )
        if error or self._trap:
            trap, self._trap = self._trap, ctypes.POINTER(ffi.wasm_trap_t)()  # null for the next
            _check(error, trap)
        return int(self._results[0].of.i32)


def export_func(store: wasmtime.Store, instance: Any, name: str) -> Any:
    """The ``wasmtime_func_t`` exported as ``name`` by a raw ``wasmtime_instance_t``.

    Raises LowLevelError when there is no such function export.
    """
    item = ffi.wasmtime_extern_t()
    encoded = name.encode()
    found = ffi.wasmtime_instance_export_get(
        store._context(), ctypes.byref(instance), encoded, len(encoded), ctypes.byref(item)
    )
    if not found or item.kind != ffi.WASMTIME_EXTERN_FUNC.value:
        raise LowLevelError(f"no exported function {name!r}")
    return item.of.func


def live_call(engine: wasmtime.Engine, module: wasmtime.Module, name: str, nparams: int
              ) -> I32Call:
    """An instance of an import-free ``module`` in a store of its own, and a call of ``name``."""
    store = wasmtime.Store(engine)
    instance = wasmtime.Instance(store, module, [])
    func = instance.exports(store)[name]
    if not isinstance(func, wasmtime.Func):
        raise LowLevelError(f"export {name!r} is not a function")
    return I32Call(store, func._func, nparams)


def instance_pre(engine: wasmtime.Engine, module: wasmtime.Module) -> wasmtime.InstancePre:
    """``module`` pre-linked (it must import nothing), ready for :class:`Spawner`."""
    return wasmtime.Linker(engine).instantiate_pre(module)


class Spawner:
    """Fresh store + ``wasmtime_instance_pre_instantiate`` + one ``wasmtime_func_call``: the
    least a process's life costs on the engine (no WASI, no imports).

    Its value arrays are allocated once: use one spawner per thread (``pre`` may be shared).
    """

    def __init__(self, engine: wasmtime.Engine, pre: wasmtime.InstancePre, name: str,
                 nparams: int) -> None:
        self._engine = engine
        self._pre = pre
        self._name = name
        self._nparams = nparams
        self._params = (ffi.wasmtime_val_t * max(nparams, 1))()
        for value in self._params:
            value.kind = ffi.WASMTIME_I32.value
        self._results = (ffi.wasmtime_val_t * 1)()

    def run(self, *args: int) -> int:
        """Instantiates in a new store, calls the export with ``args``; returns its result.

        Raises LowLevelError on an error or trap.
        """
        store = wasmtime.Store(self._engine)
        context = store._context()
        instance = ffi.wasmtime_instance_t()
        trap = ctypes.POINTER(ffi.wasm_trap_t)()
        error = ffi.wasmtime_instance_pre_instantiate(
            self._pre.ptr(), context, ctypes.byref(instance), ctypes.byref(trap)
        )
        _check(error, trap)
        func = export_func(store, instance, self._name)
        params = self._params
        for i, value in enumerate(args):
            params[i].of.i32 = value
        error = ffi.wasmtime_func_call(
            context, ctypes.byref(func), params, self._nparams, self._results, 1,
            ctypes.byref(trap),
        )
        _check(error, trap)
        return int(self._results[0].of.i32)
