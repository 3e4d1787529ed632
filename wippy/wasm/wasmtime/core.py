"""Core WebAssembly modules on wasmtime, called through a fast, per-thread-safe path."""

from __future__ import annotations

import contextlib
import ctypes
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import wasmtime
from wasmtime import _ffi as ffi

from ..api import Instance, OutputSink, Program, Signature
from ..errors import LinkError, MemoryLimitExceeded
from ..profiles import PREVIEW1_MODULE, check_core_imports
from ..spec import ProgramSpec
from ..values import convert_core_args, core_signature
from .guard import running
from .host import define_host_modules, read_raw, write_raw
from .store import StoreInstance
from .traps import NormalExit, translate
from .wasi import define_wasi, wasi_config

if TYPE_CHECKING:
    from .engine import WasmtimeEngine



def _raw_func(item: object) -> Any:
    if not isinstance(item, wasmtime.Func):
        raise LinkError(f"export is a {type(item).__name__}, not a function")
    return item._func


class CoreProgram(Program):
    """A core module linked with its WASI and host functions, ready to instantiate."""

    def __init__(self, engine: WasmtimeEngine, spec: ProgramSpec, module: wasmtime.Module) -> None:
        self.engine = engine
        self.spec = spec
        self.entry_id = spec.entry_id
        imports = [(imp.module, imp.name or "") for imp in module.imports]
        check_core_imports(
            spec.entry_id, imports, spec.imports, frozenset(m.name for m in spec.host_modules)
        )
        self.signature = self._signature(module)
        self.uses_wasi = any(mod == PREVIEW1_MODULE for mod, _ in imports)
        self.has_initialize = any(
            e.name == "_initialize" and isinstance(e.type, wasmtime.FuncType)
            for e in module.exports
        )
        linker = wasmtime.Linker(engine.engine)
        if self.uses_wasi:
            define_wasi(linker, engine.engine)
        define_host_modules(linker, spec.host_modules)
        try:
            self.pre = linker.instantiate_pre(module)
        except wasmtime.WasmtimeError as exc:
            raise LinkError(f"{spec.entry_id}: cannot link module: {exc}") from None
        self._linker = linker
        self.result_types = self.signature.results

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
        stdin: bytes = b"",
    ) -> Instance:
        return CoreInstance(self, stdout, stderr, stdin)


class CoreInstance(StoreInstance):
    """One instance of a core module in its own store."""

    def __init__(
        self,
        program: CoreProgram,
        stdout: OutputSink | None,
        stderr: OutputSink | None,
        stdin: bytes,
    ) -> None:
        super().__init__(program.engine, program.spec)
        self.program = program
        spec, store, limits = program.spec, self.store, program.spec.limits
        if program.uses_wasi:
            config, self.stdin_path = wasi_config(spec, stdout, stderr, stdin)
            store.set_wasi(config)
        try:
            with running(self.guard):
                self.guard.reset(limits.max_execution)
                try:
                    self.instance = program.pre.instantiate(store)
                except wasmtime.WasmtimeError as exc:
                    if "memory" in str(exc) and limits.max_memory is not None:
                        raise MemoryLimitExceeded(
                            f"{spec.entry_id}: the module needs more memory than its limit "
                            f"of {limits.max_memory} bytes"
                        ) from None
                    raise self._translate(exc) from None
                exports = self.instance.exports(store)
                self._func = _raw_func(exports[spec.method])
                if program.has_initialize:
                    self._call_nullary(_raw_func(exports["_initialize"]))
        except BaseException:
            self.close()
            raise
        nparams = len(program.signature.params)
        self._params = (ffi.wasmtime_val_t * max(nparams, 1))()
        self._results = (ffi.wasmtime_val_t * max(len(program.result_types), 1))()
        self._param_types = [ty for _, ty in program.signature.params]

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

    def _call_nullary(self, func: Any) -> None:
        """Runs an export with no parameters and no results (``_initialize``)."""
        trap = ctypes.POINTER(ffi.wasm_trap_t)()
        error = ffi.wasmtime_func_call(
            self.store._context(), ctypes.byref(func), None, 0, None, 0, ctypes.byref(trap)
        )
        self._check(error, trap)

    def _check(self, error: Any, trap: Any) -> None:
        if error:
            exc: BaseException = wasmtime.WasmtimeError._from_ptr(error)
        elif trap:
            exc = wasmtime.Trap._from_ptr(trap)
        else:
            if self.guard.host_error is not None:  # a host call raised but the guest went on
                self.guard.host_error = None
            return
        raise self._translate(exc)

    def call(self, args: Sequence[Any]) -> Any:
        self.check_callable()
        params = self._params
        for i, (ty, value) in enumerate(zip(self._param_types, args)):
            write_raw(params[i], ty, value)
        results = self._results
        result_types = self.program.result_types
        trap = ctypes.POINTER(ffi.wasm_trap_t)()
        with running(self.guard):
            self.guard.reset(self.program.spec.limits.max_execution)
            error = ffi.wasmtime_func_call(
                self.store._context(), ctypes.byref(self._func), params, len(self._param_types),
                results, len(result_types), ctypes.byref(trap),
            )
            try:
                self._check(error, trap)
            except NormalExit:
                return None
        if not result_types:
            return None
        if len(result_types) == 1:
            return read_raw(results[0])
        return [read_raw(results[i]) for i in range(len(result_types))]

    def release(self) -> None:
        self.__dict__.pop("instance", None)
        self.__dict__.pop("_func", None)
