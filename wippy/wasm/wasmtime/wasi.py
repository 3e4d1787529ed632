"""WASI on wasmtime: the context built from an entry's WASI spec (nothing else of the host is
visible) and an interruptible preview 1 ``poll_oneoff``."""

from __future__ import annotations

import atexit
import ctypes
import os
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import PurePosixPath
from typing import Any

import wasmtime
from wasmtime import _ffi as ffi

from ..api import OutputSink
from ..spec import ProgramSpec
from .guard import current_guard
from .host import Handles, host_call_failed, new_trap


class _Outputs:
    """Counts the output callbacks wasmtime still holds.

    wasmtime releases a callback from one of its own (tokio) threads some time after the store
    is gone. If that happens while the interpreter finalizes, the thread cannot take the GIL,
    CPython ends it with ``pthread_exit``, and unwinding through Rust aborts the whole process.
    So :meth:`wait` (run at exit) lets the pending releases finish first.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._live = 0

    def sink(self, write: OutputSink) -> Callable[[bytes], int]:
        """A callback for ``WasiConfig.stdout_custom`` that writes to ``write``."""
        with self._cond:
            self._live += 1
        return _Sink(write, self)

    def released(self) -> None:
        with self._cond:
            self._live -= 1
            self._cond.notify_all()

    def wait(self, timeout: float) -> bool:
        """Waits up to ``timeout`` s until wasmtime released every callback; True if it did."""
        with self._cond:
            return self._cond.wait_for(lambda: self._live <= 0, timeout)


class _Sink:
    __slots__ = ("_outputs", "_write")

    def __init__(self, write: OutputSink, outputs: _Outputs) -> None:
        self._write = write
        self._outputs = outputs

    def __call__(self, data: bytes) -> int:
        self._write(bytes(data))
        return len(data)

    def __del__(self) -> None:
        self._outputs.released()


OUTPUTS = _Outputs()
atexit.register(OUTPUTS.wait, 5.0)


def _sink(write: OutputSink) -> Callable[[bytes], int]:
    return OUTPUTS.sink(write)


def wasi_config(
    spec: ProgramSpec,
    stdout: OutputSink | None,
    stderr: OutputSink | None,
    stdin: bytes,
) -> tuple[wasmtime.WasiConfig, str | None]:
    """Returns the WASI config and, when ``stdin`` is given, a temporary file to delete after."""
    wasi = spec.wasi
    config = wasmtime.WasiConfig()
    program = PurePosixPath(spec.entry_id.split(":", 1)[-1]).name
    config.argv = [program, *wasi.args]
    env = dict(wasi.env)
    if wasi.cwd is not None:
        env.setdefault("PWD", wasi.cwd)
    config.env = list(env.items())
    for mount in wasi.mounts:
        config.preopen_dir(str(mount.host), mount.guest, not mount.read_only)
    if "wasi:sockets" in spec.imports:
        # The host's network: any address may be used. wasmtime 50's C API has no switch for
        # TCP and UDP themselves, which its WASI context leaves disabled (create-tcp-socket
        # answers access-denied); name lookups are allowed here.
        ffi.wasi_config_inherit_network(config.ptr())
        ffi.wasi_config_allow_ip_name_lookup(config.ptr(), True)
    if stdout is not None:
        config.stdout_custom = _sink(stdout)
    if stderr is not None:
        config.stderr_custom = _sink(stderr)
    stdin_path = None
    if stdin:
        fd, stdin_path = tempfile.mkstemp(prefix="wippy-stdin-")
        with os.fdopen(fd, "wb") as out:
            out.write(stdin)
        config.stdin_file = stdin_path
    return config, stdin_path


# ---------------------------------------------------------------- an interruptible poll_oneoff
#
# wasmtime's preview 1 poll_oneoff blocks its thread for the whole sleep, out of reach of epoch
# interruption. wippy shadows it with its own implementation for the common case, a set of
# clock subscriptions (sleep, nanosleep, Rust's thread::sleep): the wait is Guard.wait, which a
# terminate or cancel ends at once and which ends at the guest's deadline. Any other set (file
# descriptors, absolute monotonic or CPU-time clocks, none at all) goes to wasmtime's own
# implementation, called through a helper module that imports wasmtime's poll_oneoff and the
# guest's memory (wasmtime reads the subscriptions from its caller's memory export).

PREVIEW1 = "wasi_snapshot_preview1"
# A subscription (48 bytes): userdata u64 @0, tag u8 @8 (0 = clock), clock id u32 @16,
# timeout u64 @24, precision u64 @32, flags u16 @40. An event (32 bytes): userdata u64 @0,
# error u16 @8, type u8 @10 (0 = clock), then fd_readwrite fields, zero for a clock.
_SUBSCRIPTION = 48
_EVENT = 32
_CLOCK_REALTIME, _CLOCK_MONOTONIC = 0, 1
_ABSTIME = 1
_EFAULT = 21
_EXTERN_MEMORY = int(ffi.WASMTIME_EXTERN_MEMORY.value)
_I32: Any = ffi.WASMTIME_I32.value

_HELPER_WAT = f"""
(module
  (import "{PREVIEW1}" "poll_oneoff" (func $poll (param i32 i32 i32 i32) (result i32)))
  (import "env" "memory" (memory 0))
  (export "memory" (memory 0))
  (func (export "poll") (param i32 i32 i32 i32) (result i32)
    local.get 0 local.get 1 local.get 2 local.get 3 call $poll))
"""


class _Delegate:
    """wasmtime's own poll_oneoff for one engine: a WASI-only linker and the helper module."""

    def __init__(self, engine: wasmtime.Engine) -> None:
        self.linker = wasmtime.Linker(engine)
        self.linker.define_wasi()
        self.helper = wasmtime.Module(engine, _HELPER_WAT)


_engines: Handles[tuple[wasmtime.Engine, _Delegate | None]] = Handles()
"""The engine of each linker with wippy's poll_oneoff; its delegate is built on first use."""


def _delegate_for(key: int) -> _Delegate:
    engine, delegate = _engines.get(key)
    if delegate is None:
        delegate = _Delegate(engine)
        _engines.set(key, (engine, delegate))
    return delegate


def _u32(value: int) -> int:
    return value & 0xFFFFFFFF


class _Memory:
    """The calling guest's memory export: its extern, base address and size."""

    def __init__(self, caller: Any) -> None:
        self.context = ffi.wasmtime_caller_context(caller)
        self.item = ffi.wasmtime_extern_t()
        found = ffi.wasmtime_caller_export_get(caller, b"memory", 6, ctypes.byref(self.item))
        if not found or int(self.item.kind) != _EXTERN_MEMORY:
            raise LookupError("the guest exports no memory")
        memory = ctypes.byref(self.item.of.memory)
        self.base = ctypes.cast(ffi.wasmtime_memory_data(self.context, memory), ctypes.c_void_p)
        self.size = int(ffi.wasmtime_memory_data_size(self.context, memory))

    def fits(self, offset: int, length: int) -> bool:
        return offset + length <= self.size

    def read(self, offset: int, length: int) -> int:
        return int.from_bytes(ctypes.string_at((self.base.value or 0) + offset, length), "little")

    def write(self, offset: int, data: bytes) -> None:
        ctypes.memmove((self.base.value or 0) + offset, data, len(data))


def _clock_deadlines(mem: _Memory, subs: int, count: int) -> list[float] | None:
    """Monotonic deadlines of a subscription set made only of clocks wippy can time, else None."""
    if count == 0 or not mem.fits(subs, count * _SUBSCRIPTION):
        return None
    now, wall = time.monotonic(), time.time_ns()
    deadlines = []
    for i in range(count):
        sub = subs + i * _SUBSCRIPTION
        if mem.read(sub + 8, 1) != 0:  # an fd_read / fd_write subscription
            return None
        clock, timeout, flags = mem.read(sub + 16, 4), mem.read(sub + 24, 8), mem.read(sub + 40, 2)
        if flags & _ABSTIME:
            if clock != _CLOCK_REALTIME:
                return None
            deadlines.append(now + (timeout - wall) / 1e9)
        elif clock in (_CLOCK_REALTIME, _CLOCK_MONOTONIC):
            deadlines.append(now + timeout / 1e9)
        else:
            return None
    return deadlines


class _Stopped(Exception):
    """The guest was interrupted or ran out of time while it slept."""


def _sleep(caller: Any, subs: int, out: int, nevents: int, deadlines: list[float]) -> int:
    """Waits for the earliest deadline, then writes its event(s); returns an errno.

    Raises _Stopped when the guest must stop first (its guard says why).
    """
    guard = current_guard()
    left = min(deadlines) - time.monotonic()
    if guard is None:
        time.sleep(max(0.0, left))
    else:
        reason = guard.wait(left)
        if reason is not None:
            guard.stop_reason = reason
            raise _Stopped(reason)
    mem = _Memory(caller)  # again: memory cannot move while the guest waits, but be safe
    now = time.monotonic()
    due = [i for i, d in enumerate(deadlines) if d <= now] or [deadlines.index(min(deadlines))]
    if not (mem.fits(out, len(due) * _EVENT) and mem.fits(nevents, 4)):
        return _EFAULT
    for k, i in enumerate(due):
        userdata = mem.read(subs + i * _SUBSCRIPTION, 8)
        mem.write(out + k * _EVENT, userdata.to_bytes(8, "little") + bytes(_EVENT - 8))
    mem.write(nevents, len(due).to_bytes(4, "little"))
    return 0


def _delegate(key: int, caller: Any, args: Any, results: Any) -> int:
    """Runs wasmtime's own poll_oneoff on the guest's memory; 0 or a trap pointer."""
    delegate = _delegate_for(key)
    mem = _Memory(caller)
    context = mem.context
    imports = (ffi.wasmtime_extern_t * 2)()
    if not ffi.wasmtime_linker_get(
        delegate.linker.ptr(), context, PREVIEW1.encode(), len(PREVIEW1), b"poll_oneoff", 11,
        ctypes.byref(imports[0]),
    ):
        return new_trap("poll_oneoff: wasmtime's implementation is missing")
    imports[1] = mem.item
    instance = ffi.wasmtime_instance_t()
    trap = ctypes.POINTER(ffi.wasm_trap_t)()
    error = ffi.wasmtime_instance_new(
        context, delegate.helper.ptr(), imports, 2, ctypes.byref(instance), ctypes.byref(trap)
    )
    if error:
        return new_trap(f"poll_oneoff: {wasmtime.WasmtimeError._from_ptr(error)}")
    if trap:
        return ctypes.cast(trap, ctypes.c_void_p).value or 0
    func = ffi.wasmtime_extern_t()
    ffi.wasmtime_instance_export_get(
        context, ctypes.byref(instance), b"poll", 4, ctypes.byref(func)
    )
    params = (ffi.wasmtime_val_t * 4)()
    for i in range(4):
        params[i].kind = _I32
        params[i].of.i32 = args[i].of.i32
    result = (ffi.wasmtime_val_t * 1)()
    error = ffi.wasmtime_func_call(
        context, ctypes.byref(func.of.func), params, 4, result, 1, ctypes.byref(trap)
    )
    if error:
        return new_trap(f"poll_oneoff: {wasmtime.WasmtimeError._from_ptr(error)}")
    if trap:
        return ctypes.cast(trap, ctypes.c_void_p).value or 0
    results[0].kind = _I32
    results[0].of.i32 = result[0].of.i32
    return 0


@ffi.wasmtime_func_callback_t  # type: ignore[untyped-decorator]
def _poll_oneoff(env: Any, caller: Any, args: Any, nargs: int, results: Any, nres: int) -> int:
    try:
        subs, out, count, nevents = (_u32(args[i].of.i32) for i in range(4))
        deadlines = _clock_deadlines(_Memory(caller), subs, count)
        if deadlines is None:
            return _delegate(env or 0, caller, args, results)
        status = _sleep(caller, subs, out, nevents, deadlines)
        results[0].kind = _I32
        results[0].of.i32 = status
        return 0
    except _Stopped as stop:
        return new_trap(f"wippy: guest stopped ({stop})")
    except BaseException as exc:  # recorded for the calling guest, like a host function's
        return host_call_failed(exc, f"poll_oneoff failed: {type(exc).__name__}: {exc}")


@ctypes.CFUNCTYPE(None, ctypes.c_void_p)  # type: ignore[untyped-decorator]
def _forget(env: Any) -> None:
    _engines.remove(env or 0)


def define_wasi(linker: wasmtime.Linker, engine: wasmtime.Engine) -> None:
    """Defines WASI preview 1 on ``linker``, with wippy's interruptible ``poll_oneoff``."""
    linker.define_wasi()
    ty = wasmtime.FuncType([wasmtime.ValType.i32()] * 4, [wasmtime.ValType.i32()])
    key = _engines.add((engine, None))
    linker.allow_shadowing = True
    try:
        error = ffi.wasmtime_linker_define_func(
            linker.ptr(), PREVIEW1.encode(), len(PREVIEW1), b"poll_oneoff", 11, ty.ptr(),
            _poll_oneoff, key, _forget,
        )
    finally:
        linker.allow_shadowing = False
    if error:
        raise wasmtime.WasmtimeError._from_ptr(error)
