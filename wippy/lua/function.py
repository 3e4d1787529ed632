"""``function.lua`` entries: Lua code called synchronously, like ``function.wasm``.

A call runs ``method(*args)`` on the caller's thread in a fresh sandboxed state (so no call
sees another's globals) and returns its result or raises its error; the entry's ``pool``
bounds how many calls run at once (``lazy``/``static``: ``max_size``/``size``, waiting up to
``wait_timeout`` for a free place; ``inline``: no bound). ``limits`` hold per call. Calls reach
other functions with ``funcs.call``; a function has no ``process`` (no pid or mailbox), and
``time.sleep`` blocks its caller, as a WebAssembly function's sleep does.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from wippy.config import FunctionLua
from wippy.lua.instance import LuaInstance
from wippy.lua.program import LuaProgram, check_arguments
from wippy.wasm.api import Instance, OutputSink
from wippy.wasm.pool import InstancePool, PoolStats

if TYPE_CHECKING:
    from wippy.config import Registry

__all__ = ["LuaFunction", "LuaFunctionSource"]

log = logging.getLogger(__name__)


class LuaFunction:
    """A ``function.lua`` entry ready to call; thread-safe. ``call_entry(entry_id, *args)``
    serves the code's ``funcs.call``."""

    def __init__(
        self,
        entry: FunctionLua,
        *,
        stdout: OutputSink | None = None,
        call_entry: Callable[..., Any] | None = None,
    ) -> None:
        self.entry_id = entry.id
        self.program = LuaProgram(entry)
        self.signature = self.program.signature
        self._stdout = stdout
        self._call_entry = call_entry
        pool = entry.pool
        capacity = None if pool.type == "inline" else pool.capacity
        self.pool = InstancePool(
            entry.id, self._instantiate, capacity=capacity, wait_timeout=pool.wait_timeout,
            description=f"{pool.type} pool" if capacity is None else
            f"{pool.type} pool of {capacity}",
        )

    def _instantiate(self) -> Instance:
        return LuaInstance(self.program, stdout=self._stdout, call_entry=self._call_entry)

    def convert_args(self, args: Sequence[Any]) -> tuple[Any, ...]:
        """``args`` when each can become a Lua value; raises
        :class:`~wippy.wasm.errors.ArgumentError` naming the first that cannot."""
        return check_arguments(self.entry_id, self.signature, args)

    def call(self, *args: Any) -> Any:
        """Calls ``method(*args)`` and returns its result (None for none, a list for several).

        Raises :class:`~wippy.wasm.errors.ArgumentError`, ``FunctionBusyError`` (the pool
        stayed full for its ``wait_timeout``), ``FunctionClosedError``,
        :class:`~wippy.lua.errors.LuaError` (the code raised), ``ExecutionTimeout`` and
        ``MemoryLimitExceeded`` (its limits).
        """
        converted = self.convert_args(args)
        instance = self.pool.acquire()
        try:
            return instance.call(converted)
        finally:
            self.pool.release(instance, reuse=False)  # every call gets a fresh state

    def stats(self) -> PoolStats:
        """The pool's counts. Never raises."""
        return self.pool.stats()

    def close(self) -> None:
        """Later calls raise ``FunctionClosedError``. Idempotent."""
        self.pool.close()

    def __repr__(self) -> str:
        return f"LuaFunction({self.entry_id!r}, {self.signature})"


class LuaFunctionSource:
    """Makes (and keeps) the :class:`LuaFunction` of each ``function.lua`` entry."""

    def __init__(self) -> None:
        self._functions: dict[str, LuaFunction] = {}
        self._lock = threading.Lock()

    def function(
        self,
        registry: Registry,
        entry_id: str,
        *,
        stdout: OutputSink | None,
        stderr: OutputSink | None,
        call: Callable[..., Any] | None,
    ) -> LuaFunction:
        """The function of ``entry_id``, loaded on first use (later callers share it). Raises
        TypeError for an entry that is not a ``function.lua``, ``LuaLoadError`` when its code
        does not load."""
        with self._lock:
            found = self._functions.get(entry_id)
            if found is not None:
                return found
        entry = registry.get(entry_id)
        if not isinstance(entry, FunctionLua):
            raise TypeError(f"{entry_id} is a {entry.KIND}, not a function.lua")
        function = LuaFunction(entry, stdout=stdout, call_entry=call)
        with self._lock:
            return self._functions.setdefault(entry_id, function)

    def close(self) -> None:
        """Closes every function. Idempotent."""
        with self._lock:
            functions, self._functions = list(self._functions.values()), {}
        for function in functions:
            function.close()
