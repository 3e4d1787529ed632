"""Lua entries as programs: ``process.lua`` spawned as processes, on the Step scheduler.

A :class:`LuaProgram` is an entry read and compiled once (a syntax error is a load error, so
``spawn`` and ``wippy check`` report it); each process gets its own sandboxed state from
:meth:`LuaProgram.instantiate`, a stepped :class:`~wippy.lua.instance.LuaInstance`.
:class:`LuaProcessSource` is the runtime's source of these programs
(``wippy.actors.programs.register_source``).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from wippy.config import LuaEntry, ProcessLua
from wippy.lua.errors import LuaError, LuaLoadError
from wippy.lua.instance import LuaInstance
from wippy.lua.state import LuaState
from wippy.wasm.api import Instance, OutputSink, PollStatus, Program, Signature
from wippy.wasm.errors import ArgumentError
from wippy.wasm.spec import InputStream

if TYPE_CHECKING:
    from wippy.config import Registry

__all__ = ["LuaProcessSource", "LuaProgram", "check_arguments", "probe"]

log = logging.getLogger(__name__)

_INT64 = (-(2**63), 2**63 - 1)


def check_arguments(entry_id: str, signature: Signature, args: Sequence[Any]) -> tuple[Any, ...]:
    """``args`` if each can become a Lua value (nil, booleans, 64-bit integers, floats,
    strings, bytes, and lists, tuples and string- or number-keyed dicts of them); raises
    :class:`~wippy.wasm.errors.ArgumentError` naming the first that cannot."""
    for index, value in enumerate(args, 1):
        problem = _argument_problem(value, 0)
        if problem is not None:
            raise ArgumentError(f"argument {index} of {entry_id}: {problem}; signature "
                                f"{signature}")
    return tuple(args)


def _argument_problem(value: Any, depth: int) -> str | None:
    if depth > 100:
        return "nests more than 100 deep (or contains itself)"
    if value is None or isinstance(value, (bool, float, str, bytes)):
        return None
    if isinstance(value, int):
        low, high = _INT64
        return None if low <= value <= high else f"{value} does not fit a Lua integer (64 bits)"
    if isinstance(value, (list, tuple)):
        for item in value:
            problem = _argument_problem(item, depth + 1)
            if problem is not None:
                return problem
        return None
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, bool) or not isinstance(key, (str, int, float)):
                return f"a dict key {key!r} is neither a string nor a number"
            problem = _argument_problem(item, depth + 1)
            if problem is not None:
                return problem
        return None
    return f"a {type(value).__name__} cannot be passed to Lua"


class LuaProgram(Program):
    """A Lua entry ready to run: its code read and compiled. Thread-safe and shared by all of
    the entry's processes. Raises :class:`~wippy.lua.errors.LuaLoadError` when the code cannot
    be read or does not compile."""

    steppable = True
    observes_cancel = True
    process_kind = "lua"  # how ps, metrics and rt.processes() name its processes
    may_block = True  # funcs.call and spawning a module that compiles block the worker

    def __init__(self, entry: LuaEntry) -> None:
        self.entry = entry
        self.entry_id = entry.id
        self.signature = Signature(entry.method, (("...", "any"),), ("any",))
        try:
            self.code = entry.lua_text()
        except (OSError, ValueError) as exc:
            raise LuaLoadError(f"{entry.id}: cannot read {entry.lua_file}: {exc}") from exc
        scratch = _scratch_state(entry)
        scratch.start(self.code, entry.chunk_name, entry.method)  # raises LuaLoadError

    def convert_args(self, args: Sequence[Any]) -> tuple[Any, ...]:
        return check_arguments(self.entry_id, self.signature, args)

    def instantiate(
        self,
        *,
        stdout: OutputSink | None = None,
        stderr: OutputSink | None = None,
        stdin: bytes | InputStream = b"",
        context: object = None,
    ) -> Instance:
        return LuaInstance(self, context=context, stdout=stdout)


def _scratch_state(entry: LuaEntry) -> LuaState:
    def refuse(op: bytes, *args: Any) -> tuple[Any, ...]:
        message = f"{entry.id}: not available while checking the code"
        return (False, None, b"unavailable", message.encode())

    return LuaState(entry.id, call=refuse, write=lambda data: None, preempted=lambda: False,
                    modules=entry.modules, in_process=isinstance(entry, ProcessLua),
                    max_memory=None)


def probe(program: LuaProgram, seconds: float = 2.0) -> None:
    """Runs the top level of ``program``'s code in a scratch state (its module functions
    answer errors; at most ``seconds``) and checks that it returns a table with the function
    ``method``. Raises :class:`~wippy.lua.errors.LuaError` (or a limit error) when not."""
    instance = LuaInstance(program, probe=True, max_execution=seconds)
    try:
        instance.start(())
        while True:
            status = instance.poll()
            if status is PollStatus.DONE:
                return
            if status is PollStatus.SUSPENDED:
                raise LuaError(f"{program.entry.chunk_name}: its top level waits (a receive "
                               "or sleep outside any function)")
    finally:
        instance.close()


class LuaProcessSource:
    """Makes (and keeps) the :class:`LuaProgram` of each ``process.lua`` entry."""

    def __init__(self) -> None:
        self._programs: dict[str, LuaProgram] = {}
        self._lock = threading.Lock()

    def program(self, registry: Registry, entry_id: str, host_id: str | None) -> Program:
        """The program of ``entry_id``, loaded on first use. Raises TypeError for an entry
        that is not a ``process.lua``, :class:`LuaLoadError` when its code does not load."""
        with self._lock:
            found = self._programs.get(entry_id)
        if found is not None and found.entry is registry.get(entry_id):
            return found
        entry = registry.get(entry_id)
        if not isinstance(entry, ProcessLua):
            raise TypeError(f"{entry_id} is a {entry.KIND}, not a process.lua")
        program = LuaProgram(entry)
        with self._lock:
            self._programs[entry_id] = program
        log.debug("loaded Lua process %s", entry_id)
        return program

    def close(self) -> None:
        """Forgets the programs."""
        with self._lock:
            self._programs.clear()

