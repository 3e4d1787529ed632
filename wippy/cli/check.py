"""`wippy check`: every problem of every phase of an app, in one run and one format.

The phases: the configuration (every file, entry, field and reference), the commands, every
WebAssembly entry (read, hash-checked, compiled or assembled, linked, its ``wit`` checked) and
every Python function (imported), every Lua entry (compiled, its top level run in a sandbox,
its ``method`` found). An entry with a configuration problem is left out of the later
phases, and so is one that refers to it; every other entry is checked in full.
"""

from __future__ import annotations

import importlib
import logging
import re
import sys
from dataclasses import dataclass, field

from ..cluster.check import cluster_problems
from ..config import (
    ConfigError,
    Entry,
    FunctionEntry,
    LoadResult,
    LuaEntry,
    Problem,
    ProcessPython,
    Registry,
    WasmEntry,
)
from ..wasm import ExecutionTimeout, HashMismatchError, LinkError, WasmError, WasmRuntime
from .app import RUNNABLE_KINDS, commands
from .progress import Progress

log = logging.getLogger("wippy.cli")


@dataclass
class CheckReport:
    """What checking an app found: the registry of its valid entries, every problem in the order
    found, and how many modules compiled and Python functions imported."""

    registry: Registry
    problems: list[Problem] = field(default_factory=list)
    modules: int = 0
    functions: int = 0
    lua: int = 0


def check(loaded: LoadResult) -> int:
    """Checks the loaded app and prints the outcome: each problem on stderr as
    ``file: entry ns:name: field f: message`` then ``N problems found`` (status 1), or
    ``ok: N entries, N modules compiled, N Python functions imported`` (status 0)."""
    with WasmRuntime() as runtime:
        report = check_app(loaded, runtime)
    if print_problems(report.problems):
        return 1
    lua = f", {count(report.lua, 'Lua source')} checked" if report.lua else ""
    print(f"ok: {count(len(report.registry), 'entry', 'entries')}, "
          f"{count(report.modules, 'module')} compiled, "
          f"{count(report.functions, 'Python function')} imported{lua}")
    return 0


def check_app(loaded: LoadResult, runtime: WasmRuntime) -> CheckReport:
    """Runs every phase after loading on ``loaded``'s valid entries, loading their modules
    through ``runtime`` (which fills the compile cache and keeps the programs for a start that
    follows). Never raises for a problem of the app: each becomes a :class:`Problem`."""
    registry = loaded.registry
    report = CheckReport(registry, list(loaded.problems))
    report.problems += command_problems(registry)
    report.problems += cluster_problems(registry)
    wasm = [e for e in registry if isinstance(e, WasmEntry)]
    with Progress(sys.stderr, len(wasm), "compiling") as progress:
        for entry in wasm:
            progress.step(entry.id)
            found = _load_wasm(registry, runtime, entry)
            report.problems += found
            report.modules += not found
    for function in registry.of_kind(ProcessPython):
        found = python_problems(function)
        report.problems += found
        report.functions += not found
    for lua_entry in registry.of_kind(LuaEntry):
        found = lua_problems(lua_entry)
        report.problems += found
        report.lua += not found
    return report


def print_problems(problems: list[Problem]) -> bool:
    """Prints each problem on stderr, then ``N problems found``; returns whether there were
    any."""
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print(f"{count(len(problems), 'problem')} found", file=sys.stderr)
    return bool(problems)


def count(n: int, one: str, many: str | None = None) -> str:
    """``1 entry``, ``2 entries``: ``n`` and the noun, plural unless ``n`` is 1."""
    return f"{n} {one if n == 1 else many or one + 's'}"


def _load_wasm(registry: Registry, runtime: WasmRuntime, entry: WasmEntry) -> list[Problem]:
    try:
        if isinstance(entry, FunctionEntry):
            runtime.function(registry, entry.id)
        else:
            runtime.program(registry, entry.id)
    except ConfigError as exc:  # a required variable without a value
        return list(exc.problems)
    except (WasmError, OSError) as exc:
        return [Problem(entry.source, entry.id, wasm_field(entry, exc), _message(entry, exc))]
    return []


_EXPORT = re.compile(r"\bexports no\b|\binterface `[^`]*` exports no\b")
_IMPORT = re.compile(r"\bimports\b")
_FILE = re.compile(r"cannot read|invalid WebAssembly:|not a WebAssembly binary|unsupported "
                   r"WebAssembly binary|escapes the directory")


def wasm_field(entry: Entry, exc: BaseException) -> str | None:
    """The entry field a WebAssembly load error is about (``hash``, ``method``, ``imports``,
    ``path``, ``wit``, ``source``), or None when it is about the entry as a whole."""
    declared = getattr(exc, "field", None)
    if isinstance(declared, str):
        return declared
    if isinstance(exc, HashMismatchError):
        return "hash"
    text = str(exc)
    if isinstance(exc, LinkError):
        if _EXPORT.search(text):
            return "method"
        if _IMPORT.search(text):
            return "imports"
    if _FILE.search(text) and hasattr(entry, "path"):
        return "path"
    return None


def _message(entry: Entry, exc: BaseException) -> str:
    own = getattr(exc, "message", None)
    message = own if isinstance(own, str) else str(exc)
    for prefix in (f"cannot load entry {entry.id!r}: ", f"{entry.id}: "):
        message = message.removeprefix(prefix)
    return message


def python_problems(entry: ProcessPython) -> list[Problem]:
    """Imports the module of a ``process.python`` entry and finds its function; the problems
    (on ``module`` or ``method``) when that fails."""
    try:
        module = importlib.import_module(entry.module)
    except Exception as exc:
        message = f"cannot import module {entry.module!r}: {type(exc).__name__}: {exc}"
        return [Problem(entry.source, entry.id, "module", message)]
    if not callable(getattr(module, entry.method, None)):
        message = f"module {entry.module!r} has no function {entry.method!r}"
        return [Problem(entry.source, entry.id, "method", message)]
    return []


PROBE_SECONDS = 2.0
"""How long the top level of a Lua entry's code may run while it is checked."""


def lua_problems(entry: LuaEntry) -> list[Problem]:
    """Reads and compiles a Lua entry's source, then runs its top level in a scratch sandbox
    and finds ``method`` in the table it returns; the problems (on ``source`` or ``method``)."""
    from ..lua.program import LuaProgram, probe

    try:
        probe(LuaProgram(entry), PROBE_SECONDS)
    except ExecutionTimeout:
        return [Problem(entry.source, entry.id, "source", f"its top level did not finish within "
                        f"{PROBE_SECONDS:g} s (a loop outside any function?)")]
    except WasmError as exc:
        text = _message(entry, exc)
        on = "method" if "(method)" in text else "source"
        return [Problem(entry.source, entry.id, on, text)]
    return []


def command_problems(registry: Registry) -> list[Problem]:
    """``meta.command`` on an entry that cannot run, and command names declared twice."""
    problems = []
    owners: dict[str, list[Entry]] = {}
    for command in commands(registry):
        owners.setdefault(command.name, []).append(command.entry)
        if not isinstance(command.entry, RUNNABLE_KINDS):
            problems.append(Problem(
                command.entry.source, command.entry.id, "meta.command",
                f"a {command.entry.KIND} cannot be run as a command",
            ))
    for name, entries in owners.items():
        if len(entries) > 1:
            ids = ", ".join(e.id for e in entries)
            for entry in entries:
                problems.append(Problem(entry.source, entry.id, "meta.command.name",
                                        f"command {name!r} is declared by several entries: {ids}"))
    return problems
