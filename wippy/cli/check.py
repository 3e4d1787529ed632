"""`wippy check`: load the app, verify and compile every module, report every problem."""

from __future__ import annotations

import logging
import sys

from ..actors import EntryLoadError
from ..actors.programs import Programs
from ..config import ConfigError, Entry, Problem, ProcessPython, ProcessWasm, Registry
from ..wasm import WasmError, WasmRuntime
from .app import RUNNABLE_KINDS, commands
from .progress import Progress

log = logging.getLogger("wippy.cli")


def check(registry: Registry) -> int:
    """Verifies hashes and compiles every ``process.wasm`` module (filling the compile cache),
    imports every ``process.python`` function and checks the commands; prints each problem as
    ``file: entry ns:name: message``. Returns 1 when there is any problem, else 0."""
    problems = _command_problems(registry)
    modules = registry.of_kind(ProcessWasm)
    functions = registry.of_kind(ProcessPython)
    with WasmRuntime() as runtime:
        programs = Programs(registry, runtime)
        for entry, exc in compile_modules(registry, runtime):
            problems.append(_problem(entry, exc))
        for function in functions:
            try:
                programs.python_function(function.id)
            except EntryLoadError as exc:
                problems.append(_problem(function, exc))
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print(f"{_count(len(problems), 'problem')} found", file=sys.stderr)
        return 1
    print(f"ok: {_count(len(registry), 'entry', 'entries')}, "
          f"{_count(len(modules), 'module')} compiled, "
          f"{_count(len(functions), 'Python function')} imported")
    return 0


def compile_modules(
    registry: Registry, runtime: WasmRuntime
) -> list[tuple[ProcessWasm, Exception]]:
    """Loads every ``process.wasm`` entry through ``runtime`` (verifying and compiling it, or
    reading it from the compile cache), with a progress line on a terminal. Returns the entries
    that failed with their errors."""
    failed: list[tuple[ProcessWasm, Exception]] = []
    modules = registry.of_kind(ProcessWasm)
    with Progress(sys.stderr, len(modules), "compiling") as progress:
        for entry in modules:
            progress.step(entry.id)
            try:
                runtime.program(registry, entry.id)
            except (WasmError, ConfigError, OSError) as exc:
                failed.append((entry, exc))
    return failed


def _count(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else many or one + 's'}"


def _problem(entry: Entry, exc: BaseException) -> Problem:
    message = str(exc)
    for prefix in (f"cannot load entry {entry.id!r}: ", f"{entry.id}: "):
        message = message.removeprefix(prefix)
    return Problem(entry.source, entry.id, None, message)


def _command_problems(registry: Registry) -> list[Problem]:
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
