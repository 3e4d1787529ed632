"""WASI preview 1 on fibers: wasmtime's implementation, with the calls that wait replaced.

wasmtime's own ``poll_oneoff`` and ``sched_yield`` block the thread they run on. A stepped guest
must give its worker back instead, so wippy defines them as async host functions:

- ``poll_oneoff`` with only clock subscriptions (``sleep``, ``nanosleep``, Rust's
  ``thread::sleep``, relative or absolute) suspends the guest until the earliest deadline, on the
  engine's timer thread; a zero or past deadline returns at once. Any other set (file descriptors,
  CPU-time clocks, an empty set) is handed to wasmtime's own ``poll_oneoff``, run by a small helper
  module that imports it and the guest's memory: files are always ready, so it returns at once;
  a FIFO or device that is not ready blocks the worker until it is (wasmtime's C API gives no
  access to the host descriptor to wait on it otherwise).
- ``sched_yield`` ends the guest's time slice: it goes to the back of its host's run queue.

Every other preview 1 function is wasmtime's, synchronous and non-blocking for files.
"""

from __future__ import annotations

import ctypes
import time
from typing import TYPE_CHECKING, Any

import wasmtime
from wasmtime import _ffi as ffi

from .calls import CallFuture, HostOp, call_async, calling_guard, define_async
from .guard import Guard
from .memory import CallerMemory

if TYPE_CHECKING:
    from wippy.timers import TimerHandle, Timers

PREVIEW1 = "wasi_snapshot_preview1"
# A subscription (48 bytes): userdata u64 @0, tag u8 @8 (0 = clock), clock id u32 @16,
# timeout u64 @24, precision u64 @32, flags u16 @40. An event (32 bytes): userdata u64 @0,
# error u16 @8, type u8 @10 (0 = clock), then fd_readwrite fields, zero for a clock.
_SUBSCRIPTION = 48
_EVENT = 32
_CLOCK_REALTIME, _CLOCK_MONOTONIC = 0, 1
_ABSTIME = 1
_EFAULT = 21
_I32: Any = ffi.WASMTIME_I32.value

_HELPER_WAT = f"""
(module
  (import "{PREVIEW1}" "poll_oneoff" (func $poll (param i32 i32 i32 i32) (result i32)))
  (import "env" "memory" (memory 0))
  (export "memory" (memory 0))
  (func (export "poll") (param i32 i32 i32 i32) (result i32)
    local.get 0 local.get 1 local.get 2 local.get 3 call $poll))
"""


def _u32(value: int) -> int:
    return value & 0xFFFFFFFF


def _clock_deadlines(mem: CallerMemory, subs: int, count: int) -> list[float] | None:
    """Monotonic deadlines of a subscription set made only of clocks wippy can time, else None."""
    if count == 0 or not mem.fits(subs, count * _SUBSCRIPTION):
        return None
    now, wall = time.monotonic(), time.time_ns()
    deadlines = []
    for i in range(count):
        sub = subs + i * _SUBSCRIPTION
        if mem.read_int(sub + 8, 1) != 0:  # an fd_read / fd_write subscription
            return None
        clock = mem.read_int(sub + 16, 4)
        timeout, flags = mem.read_int(sub + 24, 8), mem.read_int(sub + 40, 2)
        if flags & _ABSTIME:
            if clock != _CLOCK_REALTIME:
                return None
            deadlines.append(now + (timeout - wall) / 1e9)
        elif clock in (_CLOCK_REALTIME, _CLOCK_MONOTONIC):
            deadlines.append(now + timeout / 1e9)
        else:
            return None
    return deadlines


def _write_clock_events(
    mem: CallerMemory, subs: int, out: int, nevents: int, deadlines: list[float]
) -> int:
    """Writes an event for every deadline that passed (at least the earliest); an errno."""
    now = time.monotonic()
    due = [i for i, d in enumerate(deadlines) if d <= now] or [deadlines.index(min(deadlines))]
    if not (mem.fits(out, len(due) * _EVENT) and mem.fits(nevents, 4)):
        return _EFAULT
    for k, i in enumerate(due):
        userdata = mem.read(subs + i * _SUBSCRIPTION, 8)
        mem.write(out + k * _EVENT, userdata + bytes(_EVENT - 8))
    mem.write(nevents, len(due).to_bytes(4, "little"))
    return 0


class _Sleep(HostOp):
    """A guest suspended in ``poll_oneoff`` until the earliest of its clock deadlines."""

    __slots__ = ("args", "deadlines", "timer")

    def waiting_on(self) -> str | None:
        return "sleep"

    def __init__(
        self, guard: Guard, args: tuple[int, int, int], deadlines: list[float], timers: Timers
    ) -> None:
        super().__init__(guard)
        self.args = args
        self.deadlines = deadlines
        self.timer: TimerHandle | None = timers.schedule_at(min(deadlines), self.wake)

    def finish(self) -> None:
        subs, out, nevents = self.args
        status = _write_clock_events(CallerMemory(self.caller), subs, out, nevents, self.deadlines)
        self.results[0].kind = _I32
        self.results[0].of.i32 = status

    def cancel(self) -> None:
        timer, self.timer = self.timer, None
        if timer is not None:
            timer.cancel()


class _Yield(HostOp):
    """``sched_yield``: ready at once, but gives up the time slice first."""

    __slots__ = ()

    is_yield = True

    def waiting_on(self) -> str | None:
        return None

    def __init__(self, guard: Guard) -> None:
        super().__init__(guard)
        self.ready = True
        self.yields = True

    def finish(self) -> None:
        self.results[0].kind = _I32
        self.results[0].of.i32 = 0


class _Delegate:
    """wasmtime's own poll_oneoff for one engine: a WASI-only linker and the helper module."""

    def __init__(self, engine: wasmtime.Engine) -> None:
        self.linker = wasmtime.Linker(engine)
        self.linker.define_wasi()
        self.helper = wasmtime.Module(engine, _HELPER_WAT)

    def poll(self, caller: Any, args: Any, results: Any) -> None:
        """Runs wasmtime's poll_oneoff on the guest's memory (nested calls on its fiber)."""
        guard = calling_guard()
        func = guard_cache(guard).get("poll_oneoff")
        mem = CallerMemory(caller)
        if func is None:
            func = self._instantiate(mem)
            guard_cache(guard)["poll_oneoff"] = func
        params = (ffi.wasmtime_val_t * 4)()
        for i in range(4):
            params[i].kind = _I32
            params[i].of.i32 = args[i].of.i32
        result = (ffi.wasmtime_val_t * 1)()
        _finish(call_async(mem.context, func, params, 4, result, 1), "poll_oneoff")
        results[0].kind = _I32
        results[0].of.i32 = result[0].of.i32

    def _instantiate(self, mem: CallerMemory) -> Any:
        linker = wasmtime.Linker(self.linker.engine)
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
        _finish(CallFuture(future, trap, err, (linker, instance)), "poll_oneoff helper")
        func = ffi.wasmtime_extern_t()
        ffi.wasmtime_instance_export_get(
            mem.context, ctypes.byref(instance), b"poll", 4, ctypes.byref(func)
        )
        return func.of.func


def _finish(future: CallFuture, what: str) -> None:
    try:
        while not future.poll():
            pass
        failure = future.failure()
    finally:
        future.delete()
    if failure is not None:
        raise RuntimeError(f"{what}: {failure}") from failure


def guard_cache(guard: Guard) -> dict[str, Any]:
    """Per-instance state the engine keeps for a guest (the poll_oneoff helper instance)."""
    if guard.cache is None:
        guard.cache = {}
    return guard.cache


def define_preview1(linker: wasmtime.Linker, engine: wasmtime.Engine, timers: Timers) -> None:
    """Defines WASI preview 1 on ``linker``, with the suspending ``poll_oneoff`` and
    ``sched_yield``."""
    linker.define_wasi()
    delegate: list[_Delegate] = []

    def poll_oneoff(caller: Any, args: Any, nargs: int, results: Any, nres: int) -> HostOp | None:
        subs, out, count, nevents = (_u32(args[i].of.i32) for i in range(4))
        mem = CallerMemory(caller)
        deadlines = _clock_deadlines(mem, subs, count)
        if deadlines is None:
            if not delegate:
                delegate.append(_Delegate(engine))
            delegate[0].poll(caller, args, results)
            return None
        if min(deadlines) <= time.monotonic():
            results[0].kind = _I32
            results[0].of.i32 = _write_clock_events(mem, subs, out, nevents, deadlines)
            return None
        return _Sleep(calling_guard(), (subs, out, nevents), deadlines, timers)

    def sched_yield(caller: Any, args: Any, nargs: int, results: Any, nres: int) -> HostOp:
        return _Yield(calling_guard())

    i32 = wasmtime.ValType.i32
    define_async(linker, PREVIEW1, "poll_oneoff", wasmtime.FuncType([i32()] * 4, [i32()]),
                 poll_oneoff)
    define_async(linker, PREVIEW1, "sched_yield", wasmtime.FuncType([], [i32()]), sched_yield)

