"""Core WebAssembly modules on wasmtime: instances whose export runs on a fiber, one poll a Step.

A core instance's call is always asynchronous (``wasmtime_func_call_async``): :meth:`start` and
:meth:`poll` step it, and :meth:`call` drives the same polls on the calling thread, blocking while
the guest waits. Arguments and results go through preallocated ``wasmtime_val_t`` arrays.
"""

from __future__ import annotations

import contextlib
import ctypes
import threading
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import wasmtime
from wasmtime import _ffi as ffi

from ..api import Instance, OutputSink, PollStatus, Program, Signature, Waker
from ..errors import LinkError, MemoryLimitExceeded, WasmError
from ..profiles import PREVIEW1_MODULE, check_core_imports
from ..spec import InputStream, ProgramSpec
from ..values import convert_core_args, core_signature
from .calls import CallFuture, HostOp, call_async, drive, instantiate_async
from .guard import running
from .host import define_host_modules, read_raw, write_raw
from .interfaces import define_host_interfaces
from .preview1 import define_preview1
from .store import StoreInstance
from .traps import NormalExit, translate
from .wasi import wasi_config

if TYPE_CHECKING:
    from .engine import WasmtimeEngine

_EXTERN_FUNC = int(ffi.WASMTIME_EXTERN_FUNC.value)


class _Stopped(Exception):
    """The guest was stopped between polls (terminated, cancelled or out of time)."""


class CoreProgram(Program):
    """A core module linked with its WASI and host functions, ready to instantiate."""

    steppable = True

    def __init__(self, engine: WasmtimeEngine, spec: ProgramSpec, module: wasmtime.Module) -> None:
        self.engine = engine
        self.spec = spec
        self.entry_id = spec.entry_id
        imports = [(imp.module, imp.name or "") for imp in module.imports]
        interfaces = [i for i in spec.host_interfaces if i.profile in spec.imports]
        check_core_imports(
            spec.entry_id, imports, spec.imports,
            frozenset(m.name for m in spec.host_modules) | frozenset(i.name for i in interfaces),
            {i.name: i.profile for i in spec.host_interfaces if i.profile not in spec.imports},
        )
        imported = {mod for mod, _ in imports}
        self.interfaces = [i for i in interfaces if i.name in imported]
        self.may_block = any(m.name in imported for m in spec.host_modules)
        self.observes_cancel = any(i.observes_cancel for i in self.interfaces)
        self.signature = self._signature(module)
        self.uses_wasi = PREVIEW1_MODULE in imported
        self.has_initialize = any(
            e.name == "_initialize" and isinstance(e.type, wasmtime.FuncType)
            for e in module.exports
        )
        # With no imported memory, a `memory` export is a memory the instance makes itself: if it
        # makes exactly one, that is the one host calls read (see Guard.memory).
        self.owns_exported_memory = not any(
            isinstance(i.type, wasmtime.MemoryType) for i in module.imports
        ) and any(e.name == "memory" and isinstance(e.type, wasmtime.MemoryType)
                  for e in module.exports)
        self._module = module
        self._lock = threading.Lock()
        self._live_pre: Any = None
        # A linker with async host functions can only instantiate asynchronously.
        self.async_linker = self.uses_wasi or bool(self.interfaces)
        self.pre = self._link(live_stdin=False)
        self.result_types = self.signature.results
        self.param_types = [ty for _, ty in self.signature.params]

    def _link(self, *, live_stdin: bool) -> Any:
        spec, engine = self.spec, self.engine
        linker = wasmtime.Linker(engine.engine)
        if self.uses_wasi:
            define_preview1(linker, engine.engine, engine.timers, live_stdin=live_stdin)
        define_host_modules(linker, spec.host_modules)
        define_host_interfaces(linker, self.interfaces)
        try:
            return linker.instantiate_pre(self._module)
        except wasmtime.WasmtimeError as exc:
            raise LinkError(f"{spec.entry_id}: cannot link module: {exc}") from None

    def pre_for(self, live_stdin: bool) -> Any:
        """The linked module; with ``live_stdin``, the variant whose ``fd_read`` of fd 0 reads
        a live input (linked on first use)."""
        if not live_stdin or not self.uses_wasi:
            return self.pre
        with self._lock:
            if self._live_pre is None:
                self._live_pre = self._link(live_stdin=True)
            return self._live_pre

    def _signature(self, module: wasmtime.Module) -> Signature:
        method = self.spec.method
        functions = {
            e.name: e.type for e in module.exports if isinstance(e.type, wasmtime.FuncType)
        }
        ty = functions.get(method)
        if ty is None:
            listing = ", ".join(sorted(functions)) or "none"
            raise LinkError(
                f"{self.spec.entry_id}: module exports no function `{method}` "
                f"(exported functions: {listing})"
            )
        params = [str(p) for p in ty.params]
        results = [str(r) for r in ty.results]
        return core_signature(self.spec.entry_id, method, params, results)

    def convert_args(self, args: Sequence[Any]) -> tuple[Any, ...]:
        return convert_core_args(self.signature, args)

    def instantiate(
        self,
        *,
        stdout: OutputSink | None = None,
        stderr: OutputSink | None = None,
        stdin: bytes | InputStream = b"",
        context: object = None,
    ) -> Instance:
        return CoreInstance(self, stdout, stderr, stdin, context)


class CoreInstance(StoreInstance):
    """One instance of a core module in its own store."""

    steppable = True

    def __init__(
        self,
        program: CoreProgram,
        stdout: OutputSink | None,
        stderr: OutputSink | None,
        stdin: bytes | InputStream,
        context: object,
    ) -> None:
        super().__init__(program.engine, program.spec, context)
        self.program = program
        self.observes_cancel = program.observes_cancel
        self._future: CallFuture | None = None
        spec, store, limits = program.spec, self.store, program.spec.limits
        live = not isinstance(stdin, (bytes, bytearray))
        self._pre = program.pre_for(live)
        if live:
            self.guard.stdin = stdin
        if program.uses_wasi:
            config, self.stdin_path = wasi_config(
                spec, stdout, stderr, b"" if live else bytes(stdin)  # type: ignore[arg-type]
            )
            store.set_wasi(config)
        nparams = len(program.param_types)
        self._params = (ffi.wasmtime_val_t * max(nparams, 1))()
        self._results = (ffi.wasmtime_val_t * max(len(program.result_types), 1))()
        try:
            self.guard.reset(limits.max_execution)
            made = program.engine.memories.capture()
            try:
                self._raw = self._instantiate()
            finally:
                program.engine.memories.end_capture()
            if program.owns_exported_memory and len(made) == 1:
                self.guard.memory = made[0]
            self.instance = wasmtime.Instance._from_raw(self._raw)
            self._func = self._export(spec.method)
            if program.has_initialize:
                self._run_to_end(self._export("_initialize"))
        except BaseException:
            self.close()
            raise

    # -- setup --------------------------------------------------------------------------------

    def _instantiate(self) -> Any:
        program, limits = self.program, self.program.spec.limits
        context = self.store._context()
        raw = ffi.wasmtime_instance_t()
        with running(self.guard):
            try:
                if program.async_linker:
                    future = instantiate_async(self._pre.ptr(), context, raw)
                    try:
                        drive(future, self.guard)
                        failure = future.failure()
                    finally:
                        future.delete()
                    if self.guard.stop_requested is not None and failure is None:
                        self.guard.stop_reason = self.guard.stop_requested
                        raise self._translate(_Stopped())
                    if failure is not None:
                        raise failure
                else:
                    trap = ctypes.POINTER(ffi.wasm_trap_t)()
                    error = ffi.wasmtime_instance_pre_instantiate(
                        self._pre.ptr(), context, ctypes.byref(raw), ctypes.byref(trap)
                    )
                    if error:
                        raise wasmtime.WasmtimeError._from_ptr(error)
                    if trap:
                        raise wasmtime.Trap._from_ptr(trap)
            except (wasmtime.WasmtimeError, wasmtime.Trap) as exc:
                if "memory" in str(exc) and limits.max_memory is not None:
                    raise MemoryLimitExceeded(
                        f"{program.entry_id}: the module needs more memory than its limit "
                        f"of {limits.max_memory} bytes"
                    ) from None
                raise self._translate(exc) from None
        return raw

    def _export(self, name: str) -> Any:
        item = ffi.wasmtime_extern_t()
        data = name.encode("utf-8")
        found = ffi.wasmtime_instance_export_get(
            self.store._context(), ctypes.byref(self._raw), data, len(data), ctypes.byref(item)
        )
        if not found or int(item.kind) != _EXTERN_FUNC:
            raise LinkError(f"{self.program.entry_id}: export `{name}` is not a function")
        return item.of.func

    def _run_to_end(self, func: Any) -> None:
        """Runs an export without parameters or results (``_initialize``) to its end."""
        guard = self.guard
        future = call_async(self.store._context(), func, None, 0, None, 0)
        try:
            with running(guard):
                drive(future, guard)
            failure = future.failure()
        finally:
            future.delete()
        if guard.stop_requested is not None:
            guard.stop_reason = guard.should_stop()
            raise self._translate(_Stopped())
        if failure is not None:
            translated = self._translate(failure)
            if not isinstance(translated, NormalExit):
                raise translated

    # -- calls --------------------------------------------------------------------------------

    def start(self, args: Sequence[Any]) -> None:
        self.check_callable()
        if self._future is not None:
            raise WasmError(f"{self.program.entry_id}: a call is already in progress")
        params = self._params
        for i, (ty, value) in enumerate(zip(self.program.param_types, args)):
            write_raw(params[i], ty, value)
        self.begin_call()
        self.result = None
        self._future = call_async(
            self.store._context(), self._func, params, len(self.program.param_types),
            self._results, len(self.program.result_types),
        )

    def set_waker(self, waker: Waker | None) -> None:
        self.guard.waker = waker

    def set_slice(self, seconds: float | None) -> None:
        self.guard.slice = seconds

    def waiting_on(self) -> str | None:
        op: HostOp | None = self.guard.pending
        if op is None or op.ready:
            return None
        return op.waiting_on()

    def poll(self) -> PollStatus:
        future = self._future
        guard = self.guard
        if future is None:
            raise WasmError(f"{self.program.entry_id}: no call in progress")
        if guard.stop_requested is not None:
            guard.stop_reason = guard.stop_requested
            self._drop_call()
            raise self._translate(_Stopped())
        with running(guard):
            guard.stepping = True
            slice_ = guard.slice
            guard.slice_end = None if slice_ is None else time.monotonic() + slice_
            try:
                done = future.poll()
            finally:
                guard.stepping = False
        if not done:
            op = guard.pending
            if op is not None and not op.is_yield:
                return PollStatus.SUSPENDED
            return PollStatus.YIELDED
        failure = future.failure()
        self._drop_call()
        if failure is not None:
            translated = self._translate(failure)
            if isinstance(translated, NormalExit):
                return PollStatus.DONE
            raise translated
        if guard.host_error is not None:  # a host call raised but the guest went on
            guard.host_error = None
        self.result = self._read_results()
        return PollStatus.DONE

    def call(self, args: Sequence[Any]) -> Any:
        guard = self.guard
        waker, guard.waker = guard.waker, guard.wake.set
        try:
            self.start(args)
            while True:
                guard.wake.clear()
                status = self.poll()
                if status is PollStatus.DONE:
                    return self.result
                if status is PollStatus.SUSPENDED:
                    guard.wake.wait()
        finally:
            guard.waker = waker
            if self._future is not None:
                self._drop_call()

    def _read_results(self) -> Any:
        result_types = self.program.result_types
        results = self._results
        if not result_types:
            return None
        if len(result_types) == 1:
            return read_raw(results[0])
        return [read_raw(results[i]) for i in range(len(result_types))]

    def _drop_call(self) -> None:
        future, self._future = self._future, None
        self.end_call()
        if future is not None:
            future.delete()

    # -- errors and cleanup -------------------------------------------------------------------

    def _memory_in_use(self) -> int:
        total = 0
        with contextlib.suppress(Exception):
            exports = self.instance.exports(self.store)
            for name in exports:
                item = exports[name]
                if isinstance(item, wasmtime.Memory):
                    total += item.data_len(self.store)
        return total

    def _translate(self, exc: BaseException) -> BaseException:
        return translate(exc, self.guard, self.program.spec, self._memory_in_use, self.fuel_left)

    def release(self) -> None:
        if self._future is not None:
            self._drop_call()
        self.__dict__.pop("instance", None)
        self.__dict__.pop("_func", None)
