"""Host interfaces (``wippy:process`` and the like) for core modules: functions that see the
instance's context and memory and may return a :class:`~wippy.wasm.spec.Wait` to suspend."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import wasmtime

from ..spec import HostCall, HostFunc, HostInterface, Wait
from .calls import HostOp, calling_guard, define_async
from .guard import Guard
from .host import VALTYPES, read_raw, write_raw
from .memory import CallerMemory


class _LazyMemory:
    """The caller's memory, looked up on first use (most calls never touch memory); its export
    is found once per instance and kept in the guard's engine cache."""

    __slots__ = ("_caller", "_guard", "_memory")

    def __init__(self, caller: Any, guard: Guard) -> None:
        self._caller = caller
        self._guard = guard
        self._memory: CallerMemory | None = None

    def _get(self) -> CallerMemory:
        if self._memory is None:
            cache = self._guard.cache
            if cache is None:
                cache = self._guard.cache = {}
            memory = CallerMemory(self._caller, cache.get("memory"))
            cache["memory"] = memory.item
            self._memory = memory
        return self._memory

    def read(self, ptr: int, length: int) -> bytes:
        return self._get().read(ptr, length)

    def write(self, ptr: int, data: bytes) -> None:
        self._get().write(ptr, data)


def _write_results(results: Any, types: tuple[str, ...], value: Any) -> None:
    if len(types) == 1:
        write_raw(results[0], types[0], value)
    elif len(types) > 1:
        for i, (ty, item) in enumerate(zip(types, value)):
            write_raw(results[i], ty, item)


class _WaitOp(HostOp):
    """A host interface call waiting for its :class:`Wait`."""

    __slots__ = ("result_types", "wait")

    def __init__(self, guard: Guard, wait: Wait, result_types: tuple[str, ...]) -> None:
        super().__init__(guard)
        self.wait = wait
        self.result_types = result_types

    def finish(self) -> None:
        _write_results(self.results, self.result_types, self.wait.outcome())

    def cancel(self) -> None:
        self.wait.cancel()


def _begin_for(func: HostFunc) -> Any:
    result_types = func.results
    fn = func.fn

    def begin(caller: Any, args: Any, nargs: int, results: Any, nresults: int) -> HostOp | None:
        guard = calling_guard()
        call = HostCall(guard.context, _LazyMemory(caller, guard), guard.state)
        value = fn(call, *[read_raw(args[i]) for i in range(nargs)])
        if isinstance(value, Wait):
            op = _WaitOp(guard, value, result_types)
            value.bind(op.wake)
            if value.done:  # already over: no need to suspend
                op.ready = True
            return op
        _write_results(results, result_types, value)
        return None

    return begin


def define_host_interfaces(linker: wasmtime.Linker, interfaces: Sequence[HostInterface]) -> None:
    """Defines every function of ``interfaces`` on ``linker`` (as async host functions).

    Raises ValueError for a type name other than i32, i64, f32 or f64.
    """
    for interface in interfaces:
        for name, func in interface.functions.items():
            for ty in (*func.params, *func.results):
                if ty not in VALTYPES:
                    raise ValueError(f"host function {interface.name}.{name}: unknown type {ty!r}")
            functype = wasmtime.FuncType(
                [VALTYPES[t]() for t in func.params], [VALTYPES[t]() for t in func.results]
            )
            define_async(linker, interface.name, name, functype, _begin_for(func))
