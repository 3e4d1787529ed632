"""wasmtime's own WASI preview 1 calls, run for a guest whose linker shadows them.

wippy shadows ``poll_oneoff`` (and, for a live stdin, ``fd_read``) with async host functions;
what those do not handle themselves goes to wasmtime's implementation through a small helper
module that imports it and the guest's memory (wasmtime reads iovecs and subscriptions from its
caller's ``memory`` export). The helper is instantiated once per guest, in the guest's store, and
called with nested async calls on the guest's fiber (sync calls are refused in a store whose
linker has async functions).
"""

from __future__ import annotations

import ctypes
from typing import Any

import wasmtime
from wasmtime import _ffi as ffi

from .calls import CallFuture, call_async, calling_guard
from .guard import Guard
from .memory import CallerMemory

PREVIEW1 = "wasi_snapshot_preview1"
_I32: Any = ffi.WASMTIME_I32.value

_HELPER_WAT = f"""
(module
  (import "{PREVIEW1}" "poll_oneoff" (func $poll (param i32 i32 i32 i32) (result i32)))
  (import "{PREVIEW1}" "fd_read" (func $read (param i32 i32 i32 i32) (result i32)))
  (import "env" "memory" (memory 0))
  (export "memory" (memory 0))
  (func (export "poll_oneoff") (param i32 i32 i32 i32) (result i32)
    local.get 0 local.get 1 local.get 2 local.get 3 call $poll)
  (func (export "fd_read") (param i32 i32 i32 i32) (result i32)
    local.get 0 local.get 1 local.get 2 local.get 3 call $read))
"""


def guard_cache(guard: Guard) -> dict[str, Any]:
    """Per-instance state the engine keeps for a guest (the helper's functions)."""
    if guard.cache is None:
        guard.cache = {}
    return guard.cache


class Delegate:
    """wasmtime's own preview 1 calls for one engine: a WASI-only linker and the helper."""

    def __init__(self, engine: wasmtime.Engine) -> None:
        self.engine = engine
        self.helper = wasmtime.Module(engine, _HELPER_WAT)

    def call(self, caller: Any, name: str, args: Any, results: Any) -> None:
        """Runs wasmtime's ``name`` (``poll_oneoff`` or ``fd_read``, four i32 arguments) for
        the calling guest and writes its errno result."""
        guard = calling_guard()
        cache = guard_cache(guard)
        mem = CallerMemory(caller)
        funcs = cache.get("preview1")
        if funcs is None:
            funcs = cache["preview1"] = self._instantiate(mem)
        params = (ffi.wasmtime_val_t * 4)()
        for i in range(4):
            params[i].kind = _I32
            params[i].of.i32 = args[i].of.i32
        result = (ffi.wasmtime_val_t * 1)()
        finish(call_async(mem.context, funcs[name], params, 4, result, 1), name)
        results[0].kind = _I32
        results[0].of.i32 = result[0].of.i32

    def _instantiate(self, mem: CallerMemory) -> dict[str, Any]:
        linker = wasmtime.Linker(self.engine)
        linker.define_wasi()
        error = ffi.wasmtime_linker_define(
            linker.ptr(), mem.context, b"env", 3, b"memory", 6, ctypes.byref(mem.item)
        )
        if error:
            raise wasmtime.WasmtimeError._from_ptr(error)
        instance = ffi.wasmtime_instance_t()
        trap = ctypes.POINTER(ffi.wasm_trap_t)()
        err = ctypes.POINTER(ffi.wasmtime_error_t)()
        future = ffi.wasmtime_linker_instantiate_async(
            linker.ptr(), mem.context, self.helper.ptr(), ctypes.byref(instance),
            ctypes.byref(trap), ctypes.byref(err),
        )
        finish(CallFuture(future, trap, err, (linker, instance)), "preview 1 helper")
        funcs = {}
        for name in ("poll_oneoff", "fd_read"):
            func = ffi.wasmtime_extern_t()
            data = name.encode()
            ffi.wasmtime_instance_export_get(
                mem.context, ctypes.byref(instance), data, len(data), ctypes.byref(func)
            )
            funcs[name] = func.of.func
        return funcs


def finish(future: CallFuture, what: str) -> None:
    """Polls a nested call to its end; raises RuntimeError when it failed."""
    try:
        while not future.poll():
            pass
        failure = future.failure()
    finally:
        future.delete()
    if failure is not None:
        raise RuntimeError(f"{what}: {failure}") from failure
