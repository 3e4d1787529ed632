"""wippy.lua: Lua processes and functions (``process.lua``, ``function.lua``) through lupa.

Lua 5.4 (lupa's ``lua54``): each process runs in a sandboxed state of its own, as a coroutine
stepped by its host's workers like a WebAssembly guest; waiting in ``process.receive`` or
``time.sleep`` suspends it holding no thread, and a count hook yields it at the end of each time
slice. Importing this package registers both kinds with the runtime
(:func:`wippy.actors.programs.register_source`, ``register_function_source``); ``wippy``
imports it, so any :class:`~wippy.actors.Runtime` can spawn and call Lua entries. lupa itself is
imported on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from wippy.actors.programs import register_function_source, register_source
from wippy.config import FunctionLua, ProcessLua

if TYPE_CHECKING:
    from wippy.lua.function import LuaFunctionSource
    from wippy.lua.program import LuaProcessSource

__all__ = ["function_source", "process_source"]


def process_source() -> LuaProcessSource:
    """A new source of ``process.lua`` programs (one per runtime)."""
    from wippy.lua.program import LuaProcessSource

    return LuaProcessSource()


def function_source() -> LuaFunctionSource:
    """A new source of ``function.lua`` callables (one per runtime)."""
    from wippy.lua.function import LuaFunctionSource

    return LuaFunctionSource()


register_source(ProcessLua, process_source)
register_function_source(FunctionLua, function_source)
