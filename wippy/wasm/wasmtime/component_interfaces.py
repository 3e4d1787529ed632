"""Host interfaces for components: Python functions behind a WIT interface a component imports.

The component analog of :mod:`.interfaces`. Each function of a
:class:`~wippy.wasm.spec.ComponentInterface` is defined on the component linker under the
interface's instance; its arguments are lifted to wippy's Python form of WIT values and its result
lowered back, with the types of the component's own import. Components run blocking on a thread
of their own, so these functions may block that thread.

wasmtime-py keeps an exception raised by a component host function in a module-wide global; like
the core path, wippy never lets one reach it: the exception is recorded on the calling guest's
guard and the call fails with a ``WasmtimeError`` carrying its message.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

import wasmtime
from wasmtime import component as wc

from ..component_values import lift, lower
from ..errors import LinkError
from ..profiles import unversioned
from ..spec import ComponentInterface, GuestMemoryError, HostCall
from .guard import current_guard

log = logging.getLogger(__name__)


class _NoMemory:
    """Components share no linear memory with the host."""

    def read(self, ptr: int, length: int) -> bytes:
        raise GuestMemoryError("a component shares no memory with its host")

    def write(self, ptr: int, data: bytes) -> None:
        raise GuestMemoryError("a component shares no memory with its host")


_NO_MEMORY = _NoMemory()


def _host_func(interface: str, name: str, fn: Callable[..., Any], ty: Any) -> Callable[..., Any]:
    params = [param_ty for _, param_ty in ty.params]
    result = ty.result

    def host(_store: Any, *args: Any) -> Any:
        guard = current_guard()
        try:
            if guard is None:
                raise RuntimeError(f"{interface}.{name} called outside a guest call")
            values = [lift(arg, param_ty) for arg, param_ty in zip(args, params)]
            value = fn(HostCall(guard.context, _NO_MEMORY, guard.state), *values)
            return None if result is None else lower(value, result, f"{name} result")
        except BaseException as exc:  # never into wasmtime-py's global: onto this guest's guard
            if guard is not None:
                guard.host_error = exc
            raise wasmtime.WasmtimeError(
                f"host function {interface}.{name} raised {type(exc).__name__}: {exc}"
            ) from None

    return host


def define_component_interfaces(
    linker: wc.Linker,
    entry_id: str,
    imports: dict[str, Any],
    interfaces: Sequence[ComponentInterface],
    engine: wasmtime.Engine,
) -> list[ComponentInterface]:
    """Defines, on ``linker``, each of ``interfaces`` that the component imports (``imports``:
    its import names and items), with the imported function types. Returns those defined.

    Raises :class:`LinkError` when the component imports a function the interface lacks.
    """
    used: list[ComponentInterface] = []
    for name, item in imports.items():
        interface = next((i for i in interfaces if unversioned(i.name) == unversioned(name)), None)
        if interface is None or not isinstance(item.ty, wc.ComponentInstanceType):
            continue
        functions = {
            fname: export.ty
            for fname, export in item.ty.exports(engine).items()
            if isinstance(export.ty, wc.FuncType)
        }
        missing = sorted(set(functions) - set(interface.functions))
        if missing:
            raise LinkError(
                f"{entry_id}: component imports {name} function(s) {', '.join(missing)}, which "
                f"the host does not provide (functions: {', '.join(sorted(interface.functions))})"
            )
        with linker.root() as root, root.add_instance(name) as instance:
            for fname, fty in functions.items():
                instance.add_func(fname, _host_func(name, fname, interface.functions[fname], fty))
        used.append(interface)
    return used
