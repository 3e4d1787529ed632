"""Core WebAssembly modules on wasmer: programs, instances and their errors.

A wasmer instance lives on the thread that created it (Init, Step and Close of a process all run
on the process's own thread). wasmer cannot interrupt guest code, and holds the GIL while it
runs: :meth:`WasmerInstance.interrupt` stops a guest before its next call and at its next host
call (WASI or a host function), never in the middle of pure computation.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ..api import Instance, OutputSink, Program, Signature
from ..errors import (
    ExitError,
    GuestError,
    HostFunctionError,
    LinkError,
    Terminated,
    TrapError,
    WasmError,
)
from ..profiles import PREVIEW1_MODULE, check_core_imports
from ..spec import HostFunction, HostModule, InputStream, ProgramSpec
from ..values import SUPPORTED_CORE_TYPES, convert_core_args, core_signature
from .engine import first_line
from .wasi import WasiImports

if TYPE_CHECKING:
    from .engine import WasmerEngine

_EXIT = re.compile(r"WASI exited with code: (\d+)")


def _type_names(wasmer: Any) -> dict[int, str]:
    """wasmer reports value types as ``Type`` numbers: maps them to ``i32``, ``f64``, ..."""
    return {int(member): name.lower() for name, member in wasmer.Type.__members__.items()}


class WasmerProgram(Program):
    """A core module checked against its entry, kept as a compiled artifact."""

    def __init__(
        self, engine: WasmerEngine, spec: ProgramSpec, module: Any, artifact: bytes
    ) -> None:
        self.engine = engine
        self.spec = spec
        self.entry_id = spec.entry_id
        self.artifact = artifact
        imports = [(imp.module, imp.name or "") for imp in module.imports]
        check_core_imports(
            spec.entry_id, imports, spec.imports, frozenset(m.name for m in spec.host_modules)
        )
        self.host_functions = _host_functions(spec, imports)
        functions = {
            e.name: e.type for e in module.exports if isinstance(e.type, engine.wasmer.FunctionType)
        }
        self.signature = self._signature(functions)
        self.uses_wasi = any(mod == PREVIEW1_MODULE for mod, _ in imports)
        self.has_initialize = "_initialize" in functions

    def _signature(self, functions: dict[str, Any]) -> Signature:
        method = self.spec.method
        ty = functions.get(method)
        if ty is None:
            listing = ", ".join(sorted(functions)) or "none"
            raise LinkError(
                f"{self.entry_id}: module exports no function `{method}` "
                f"(exported functions: {listing})"
            )
        names = _type_names(self.engine.wasmer)
        params = [names.get(int(p), str(p)) for p in ty.params]
        results = [names.get(int(r), str(r)) for r in ty.results]
        return core_signature(self.entry_id, method, params, results)

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
        data = stdin if isinstance(stdin, bytes) else b""  # a live stdin reads as empty here
        return WasmerInstance(self, stdout, stderr, data)


def _host_functions(
    spec: ProgramSpec, imports: list[tuple[str, str]]
) -> dict[str, dict[str, tuple[tuple[str, ...], tuple[str, ...], HostFunction]]]:
    """The host functions the module imports, by module and name (types checked)."""
    offered: dict[str, HostModule] = {m.name: m for m in spec.host_modules}
    chosen: dict[str, dict[str, tuple[tuple[str, ...], tuple[str, ...], HostFunction]]] = {}
    for module, name in imports:
        host = offered.get(module)
        if host is None:
            continue
        function = host.functions.get(name)
        if function is None:
            raise LinkError(
                f"{spec.entry_id}: module imports {module}.{name}, which host module "
                f"{module} does not define"
            )
        params, results, _fn = function
        for ty in (*params, *results):
            if ty not in SUPPORTED_CORE_TYPES:
                raise ValueError(f"host function {module}.{name}: unknown type {ty!r}")
        chosen.setdefault(module, {})[name] = function
    return chosen


class _Stop(Exception):
    """Raised inside a host call to unwind a guest that was asked to stop."""


class WasmerInstance(Instance):
    """One instance of a core module on wasmer, owned by the thread that created it."""

    def __init__(
        self,
        program: WasmerProgram,
        stdout: OutputSink | None,
        stderr: OutputSink | None,
        stdin: bytes,
    ) -> None:
        self.program = program
        self.entry_id = program.entry_id
        self.closed = False
        self.stop_requested: str | None = None
        self.host_error: BaseException | None = None
        self._wasi: WasiImports | None = None
        try:
            self._instantiate(stdout, stderr, stdin)
        except WasmError:
            self.close()
            raise
        except Exception as exc:
            self.close()
            error = self._translate(exc)
            raise error from error.__cause__

    def _instantiate(
        self, stdout: OutputSink | None, stderr: OutputSink | None, stdin: bytes
    ) -> None:
        program = self.program
        engine = program.engine
        wasmer = engine.wasmer
        imports = wasmer.ImportObject()
        if program.uses_wasi:
            self._wasi = WasiImports(
                engine, program.spec, stdout, stderr, stdin, self._check_stop
            )
            imports.register(PREVIEW1_MODULE, self._wasi.namespace)
        store = engine.store()
        to_type = {"i32": wasmer.Type.I32, "i64": wasmer.Type.I64,
                   "f32": wasmer.Type.F32, "f64": wasmer.Type.F64}
        for module, functions in program.host_functions.items():
            imports.register(module, {
                name: wasmer.Function(
                    store, self._host_call(fn),
                    wasmer.FunctionType([to_type[t] for t in params],
                                        [to_type[t] for t in results]),
                )
                for name, (params, results, fn) in functions.items()
            })
        module = engine.module(program.spec.digest, program.artifact)
        self.instance = wasmer.Instance(module, imports)
        if self._wasi is not None:
            self._wasi.attach(self.instance)
        self._func = getattr(self.instance.exports, program.signature.export)
        if program.has_initialize:
            self._run(self.instance.exports._initialize, ())

    def _check_stop(self) -> None:
        if self.stop_requested is not None:
            raise _Stop(self.stop_requested)

    def _host_call(self, fn: HostFunction) -> HostFunction:
        def call(*args: Any) -> Any:
            self._check_stop()
            try:
                value = fn(*args)
            except BaseException as exc:  # re-raised by the guest's call as HostFunctionError
                self.host_error = exc
                raise
            return tuple(value) if isinstance(value, list) else value

        return call

    def _run(self, func: Any, args: Sequence[Any]) -> Any:
        self.host_error = None
        try:
            return func(*args)
        except _Stop:
            raise Terminated(f"{self.entry_id}: guest {self.stop_requested}") from None
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as exc:  # wasmer's panics derive from BaseException
            error = self._translate(exc)
            raise error from error.__cause__  # a host function's exception stays the cause

    def _translate(self, exc: BaseException) -> BaseException:
        entry = self.entry_id
        host = self.host_error
        if host is not None:
            error = HostFunctionError(
                f"{entry}: host function raised {type(host).__name__}: {host}"
            )
            error.__cause__ = host
            return error
        message = first_line(exc)
        match = _EXIT.fullmatch(message)
        if match is not None:
            status = int(match.group(1))
            if status == 0:
                return _NormalExit()
            return ExitError(f"{entry}: guest exited with status {status}", status)
        if isinstance(exc, RuntimeError):
            return TrapError(f"{entry}: guest trapped: {message}")
        return GuestError(f"{entry}: {type(exc).__name__}: {message}")

    def call(self, args: Sequence[Any]) -> Any:
        if self.closed:
            raise WasmError(f"{self.entry_id}: instance is closed")
        if self.stop_requested is not None:
            raise Terminated(f"{self.entry_id}: guest {self.stop_requested}")
        try:
            result = self._run(self._func, args)
        except _NormalExit:
            return None
        if isinstance(result, tuple):
            return list(result)
        return result

    def interrupt(self, reason: str = "terminated") -> None:
        """Stops the guest before its next call or at its next host call (see the module doc)."""
        self.stop_requested = reason

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        self.stop_requested = self.stop_requested or "closed"
        if self._wasi is not None:
            self._wasi.close()
        self.__dict__.pop("_func", None)
        self.__dict__.pop("instance", None)


class _NormalExit(Exception):
    """The guest called ``proc_exit(0)``: a successful end of the run."""
