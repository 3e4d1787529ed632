"""Calls on fibers: wasmtime call futures and the async host functions that suspend a guest.

A stepped call is a ``wasmtime_call_future_t``: each :meth:`CallFuture.poll` runs the guest on its
fiber until it returns, its time slice ends (an epoch yield) or it is suspended in an async host
function. An async host function is defined with :func:`define_async`: its ``begin`` runs when
the guest calls it and returns None (done at once: the results are written) or a :class:`HostOp`,
which keeps the guest suspended until :meth:`HostOp.wake` is called (from any thread). On the next
poll wasmtime asks our continuation whether the op is ready; when it is, :meth:`HostOp.finish`
writes the results (still on the fiber, with the caller valid) and the guest goes on.

wasmtime aborts the process when an async callback returns without a continuation, so the
trampoline sets one before doing anything else and never lets an exception escape: a failure
becomes a trap carrying the error, recorded on the calling guest's guard.
"""

from __future__ import annotations

import ctypes
import logging
from collections.abc import Callable
from typing import Any

import wasmtime
from wasmtime import _ffi as ffi

from .guard import Guard, current_guard
from .host import Handles, host_call_failed

log = logging.getLogger(__name__)

_TrapPtr = ctypes.POINTER(ffi.wasm_trap_t)
_ErrorPtr = ctypes.POINTER(ffi.wasmtime_error_t)


class CallFuture:
    """One call or instantiation in progress on a fiber, with the buffers it must keep alive."""

    __slots__ = ("_keep", "_ptr", "error", "trap")

    def __init__(self, ptr: Any, trap: Any, error: Any, keep: tuple[Any, ...]) -> None:
        self._ptr = ptr
        self.trap = trap
        self.error = error
        self._keep = keep

    def poll(self) -> bool:
        """Runs the guest until it returns (True), yields or is suspended (False)."""
        return bool(ffi.wasmtime_call_future_poll(self._ptr))

    def failure(self) -> BaseException | None:
        """The trap or error the finished call ended with, if any (taking ownership)."""
        if self.error:
            error, self.error = self.error, _ErrorPtr()
            return wasmtime.WasmtimeError._from_ptr(error)
        if self.trap:
            trap, self.trap = self.trap, _TrapPtr()
            return wasmtime.Trap._from_ptr(trap)
        return None

    def delete(self) -> None:
        """Drops the future; a suspended guest's fiber is unwound. Idempotent."""
        ptr, self._ptr = self._ptr, None
        if ptr:
            ffi.wasmtime_call_future_delete(ptr)
        self._keep = ()

    @property
    def alive(self) -> bool:
        """True until :meth:`delete`."""
        return bool(self._ptr)


def call_async(context: Any, func: Any, params: Any, nparams: int, results: Any,
               nresults: int) -> CallFuture:
    """Starts an async call of ``func`` (a ``wasmtime_func_t``) in ``context``."""
    trap, error = _TrapPtr(), _ErrorPtr()
    ptr = ffi.wasmtime_func_call_async(
        context, ctypes.byref(func), params, nparams, results, nresults,
        ctypes.byref(trap), ctypes.byref(error),
    )
    return CallFuture(ptr, trap, error, (func, params, results))


def instantiate_async(pre: Any, context: Any, instance: Any) -> CallFuture:
    """Starts an async instantiation of ``pre`` (a ``wasmtime_instance_pre_t`` pointer)."""
    trap, error = _TrapPtr(), _ErrorPtr()
    ptr = ffi.wasmtime_instance_pre_instantiate_async(
        pre, context, ctypes.byref(instance), ctypes.byref(trap), ctypes.byref(error)
    )
    return CallFuture(ptr, trap, error, (instance,))


def drive(future: CallFuture, guard: Guard) -> None:
    """Polls ``future`` on this thread until it is done, blocking while the guest waits.

    Used where a guest must run to completion (instantiation, ``_initialize``, a blocking call):
    an epoch yield is simply polled again, a suspension waits on the guard's wake event.
    """
    waker, guard.waker = guard.waker, guard.wake.set
    try:
        while True:
            guard.wake.clear()
            if future.poll():
                return
            if guard.stop_requested is not None:
                return  # the caller sees the stop request and drops the future
            op = guard.pending
            if op is not None and not op.ready:
                guard.wake.wait()
    finally:
        guard.waker = waker


class HostOp:
    """An async host call in progress: the guest is suspended until :meth:`wake`.

    Subclasses implement :meth:`finish` (write the results; runs on the fiber when the guest
    resumes) and may implement :meth:`cancel` (the guest was dropped while waiting).
    ``yields`` makes the guest give up its time slice once even when the op is ready at once.
    """

    __slots__ = ("caller", "guard", "ready", "results", "trap_ret", "yields")

    is_yield = False
    """True for ops whose only purpose is to give up the time slice (``sched_yield``)."""

    def waiting_on(self) -> str | None:
        """What a guest suspended in this op waits on, for introspection (any thread)."""
        return "host call"

    def __init__(self, guard: Guard) -> None:
        self.guard = guard
        self.ready = False
        self.yields = False
        self.caller: Any = None
        self.results: Any = None
        self.trap_ret: Any = None

    def wake(self) -> None:
        """Marks the op ready and wakes its guest; any thread, idempotent."""
        self.ready = True
        waker = self.guard.waker
        if waker is not None:
            waker()

    def finish(self) -> None:
        """Writes the results when the guest resumes; raising makes it trap."""

    def cancel(self) -> None:
        """Releases what the op holds when the guest is dropped while it waits."""


AsyncBegin = Callable[[Any, Any, int, Any, int], "HostOp | None"]
"""``begin(caller, args, nargs, results, nresults)``: None when done at once, else the op."""

_functions: Handles[AsyncBegin] = Handles()
_ops: Handles[HostOp] = Handles()


def _set_trap(trap_ret: Any, exc: BaseException, message: str) -> None:
    trap_ret[0] = ctypes.cast(host_call_failed(exc, message), _TrapPtr)


@ffi.wasmtime_func_async_continuation_callback_t  # type: ignore[untyped-decorator]
def _continuation(env: Any) -> bool:
    if not env:
        return True
    try:
        op = _ops.get(env)
    except KeyError:
        return True
    try:
        if op.yields:
            op.yields = False
            return False
        if not op.ready:
            return False
        op.guard.pending = None
        op.finish()
    except BaseException as exc:
        op.guard.pending = None
        try:
            _set_trap(op.trap_ret, exc, f"host call failed: {type(exc).__name__}: {exc}")
        except BaseException:
            log.exception("cannot report a failed host call")
    return True


@ctypes.CFUNCTYPE(None, ctypes.c_void_p)  # type: ignore[untyped-decorator]
def _op_finalizer(env: Any) -> None:
    if not env:
        return
    try:
        op = _ops.pop(env)
        if op is not None and op.guard.pending is op:  # dropped while suspended
            op.guard.pending = None
            op.cancel()
    except BaseException:
        log.exception("releasing a host call failed")


@ffi.wasmtime_func_async_callback_t  # type: ignore[untyped-decorator]
def _async_trampoline(
    env: Any, caller: Any, args: Any, nargs: int, results: Any, nresults: int,
    trap_ret: Any, cont_ret: Any,
) -> None:
    cont_ret[0].callback = _continuation  # first: wasmtime aborts on a missing continuation
    cont_ret[0].env = None
    cont_ret[0].finalizer = _op_finalizer
    try:
        begin = _functions.get(env or 0)
        op = begin(caller, args, nargs, results, nresults)
        if op is None:
            return
        op.caller, op.results, op.trap_ret = caller, results, trap_ret
        op.guard.pending = op
        cont_ret[0].env = _ops.add(op)
    except BaseException as exc:
        try:
            _set_trap(trap_ret, exc, f"host function raised {type(exc).__name__}: {exc}")
        except BaseException:
            log.exception("cannot report a failed host call")


@ctypes.CFUNCTYPE(None, ctypes.c_void_p)  # type: ignore[untyped-decorator]
def _forget(env: Any) -> None:
    _functions.remove(env or 0)


def define_async(
    linker: wasmtime.Linker, module: str, name: str, ty: wasmtime.FuncType, begin: AsyncBegin
) -> None:
    """Defines ``module.name`` on ``linker`` as an async host function run by ``begin``.

    Shadows an existing definition (used to replace WASI preview 1 calls that block).
    """
    mod, fname = module.encode("utf-8"), name.encode("utf-8")
    key = _functions.add(begin)
    linker.allow_shadowing = True
    try:
        error = ffi.wasmtime_linker_define_async_func(
            linker.ptr(), mod, len(mod), fname, len(fname), ty.ptr(), _async_trampoline, key,
            _forget,
        )
    finally:
        linker.allow_shadowing = False
    if error:
        raise wasmtime.WasmtimeError._from_ptr(error)


def calling_guard() -> Guard:
    """The guard of the guest calling a host function on this thread (RuntimeError if none)."""
    guard = current_guard()
    if guard is None:
        raise RuntimeError("host function called outside a guest call")
    return guard
