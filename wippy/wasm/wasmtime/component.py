"""Components on wasmtime: WIT-typed exports, WASI preview 2 and wasi:http by profile."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import wasmtime
from wasmtime import component as wc

from ..api import Instance, OutputSink, Program, Signature
from ..component_values import ValueMismatch, lift, lower, type_name
from ..errors import ArgumentError, LinkError
from ..profiles import check_component_imports, unversioned
from ..spec import InputStream, ProgramSpec
from .component_interfaces import define_component_interfaces
from .guard import running
from .store import StoreInstance
from .traps import NormalExit, translate
from .wasi import wasi_config

if TYPE_CHECKING:
    from .engine import WasmtimeEngine



def _split_method(method: str) -> tuple[str | None, str]:
    if "#" in method:
        interface, func = method.split("#", 1)
        return interface, func
    return None, method


class ComponentProgram(Program):
    """A component with its export resolved and its imports checked against the entry's profiles."""

    def __init__(self, engine: WasmtimeEngine, spec: ProgramSpec, comp: wc.Component) -> None:
        self.engine = engine
        self.spec = spec
        self.entry_id = spec.entry_id
        self.component = comp
        ctype = comp.type
        imported = ctype.imports(engine.engine)
        self.imports = sorted(imported)
        offered = {unversioned(i.name): i.profile for i in spec.component_interfaces}
        check_component_imports(spec.entry_id, self.imports, spec.imports, offered)
        self.func_type = self._resolve(ctype.exports(engine.engine))
        self.param_types = [ty for _, ty in self.func_type.params]
        self.result_type = self.func_type.result
        self.signature = Signature(
            spec.method,
            tuple((name, type_name(ty)) for name, ty in self.func_type.params),
            (type_name(self.result_type),) if self.result_type is not None else (),
        )
        self.uses_http = any(i.startswith("wasi:http/") for i in self.imports)
        self.uses_wasi = any(i.startswith("wasi:") for i in self.imports)
        linker = wc.Linker(engine.engine)
        if self.uses_wasi:
            linker.add_wasip2()
        if self.uses_http:
            linker.add_wasi_http()
        enabled = [i for i in spec.component_interfaces if i.profile in spec.imports]
        self.interfaces = define_component_interfaces(
            linker, spec.entry_id, imported, enabled, engine.engine
        )
        self.observes_cancel = any(i.observes_cancel for i in self.interfaces)
        self.linker = linker

    def _resolve(self, exports: dict[str, Any]) -> Any:
        interface, func = _split_method(self.spec.method)
        scope = exports
        where = "component"
        if interface is not None:
            item = exports.get(interface)
            if item is None or not isinstance(item.ty, wc.ComponentInstanceType):
                raise LinkError(
                    f"{self.entry_id}: component exports no interface `{interface}` "
                    f"(exports: {', '.join(sorted(exports)) or 'none'})"
                )
            scope = item.ty.exports(self.engine.engine)
            where = f"interface `{interface}`"
        item = scope.get(func)
        if item is None or not isinstance(item.ty, wc.FuncType):
            names = sorted(n for n, e in scope.items() if isinstance(e.ty, wc.FuncType))
            interfaces = sorted(
                n for n, e in scope.items() if isinstance(e.ty, wc.ComponentInstanceType)
            )
            hint = f"; interfaces: {', '.join(interfaces)} (use `iface#func`)" if interfaces else ""
            raise LinkError(
                f"{self.entry_id}: {where} exports no function `{func}` "
                f"(functions: {', '.join(names) or 'none'}{hint})"
            )
        return item.ty

    def convert_args(self, args: Sequence[Any]) -> tuple[Any, ...]:
        params = self.func_type.params
        if len(args) != len(params):
            raise ArgumentError(
                f"{self.spec.method} takes {len(params)} argument"
                f"{'s' if len(params) != 1 else ''} but got {len(args)}: "
                f"signature {self.signature}"
            )
        converted = []
        for value, (name, ty) in zip(args, params):
            try:
                converted.append(lower(value, ty, name))
            except ValueMismatch as exc:
                where = "" if exc.path == name else f"{exc.path} = "
                raise ArgumentError(
                    f"argument '{name}' of {self.spec.method}: {where}{exc.describe()}; "
                    f"signature {self.signature}"
                ) from None
        return tuple(converted)

    def instantiate(
        self,
        *,
        stdout: OutputSink | None = None,
        stderr: OutputSink | None = None,
        stdin: bytes | InputStream = b"",
        context: object = None,
    ) -> Instance:
        data = stdin if isinstance(stdin, bytes) else b""  # a live stdin reads as empty here
        return ComponentInstance(self, stdout, stderr, data, context)


class ComponentInstance(StoreInstance):
    """One instance of a component in its own store."""

    def __init__(
        self,
        program: ComponentProgram,
        stdout: OutputSink | None,
        stderr: OutputSink | None,
        stdin: bytes,
        context: object = None,
    ) -> None:
        super().__init__(program.engine, program.spec, context)
        self.program = program
        spec, store, limits = program.spec, self.store, program.spec.limits
        config, self.stdin_path = wasi_config(spec, stdout, stderr, stdin)
        store.set_wasi(config)
        if program.uses_http:
            store.set_wasi_http()
        try:
            with running(self.guard):
                self.guard.reset(limits.max_execution)
                try:
                    instance = program.linker.instantiate(store, program.component)
                except wasmtime.WasmtimeError as exc:
                    raise self._translate(exc) from None
            self.func = self._lookup(instance)
        except BaseException:
            self.close()
            raise

    def _lookup(self, instance: wc.Instance) -> wc.Func:
        interface, func = _split_method(self.program.spec.method)
        index = None
        if interface is not None:
            index = instance.get_export_index(self.store, interface)
        export = instance.get_export_index(self.store, func, index)
        found = instance.get_func(self.store, export) if export is not None else None
        if found is None:
            raise LinkError(f"{self.program.entry_id}: export {self.program.spec.method} vanished")
        return found

    def _translate(self, exc: BaseException) -> BaseException:
        return translate(exc, self.guard, self.program.spec, lambda: 0, self.fuel_left)

    def call(self, args: Sequence[Any]) -> Any:
        self.check_callable()
        with running(self.guard):
            self.begin_call()
            try:
                result = self.func(self.store, *args)
                self.func.post_return(self.store)
            except NormalExit:
                return None
            except (wasmtime.WasmtimeError, TypeError, ValueError) as exc:
                translated = self._translate(exc)
                if isinstance(translated, NormalExit):
                    return None
                raise translated from None
            finally:
                self.end_call()
        if self.program.result_type is None:
            return None
        return lift(result, self.program.result_type)

    def release(self) -> None:
        self.__dict__.pop("func", None)
