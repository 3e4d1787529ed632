"""What the commands need to know about an app: its commands, and where they run."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ..config import (
    Entry,
    FunctionLua,
    FunctionWasm,
    FunctionWat,
    ProcessHost,
    ProcessLua,
    ProcessPython,
    ProcessService,
    ProcessSupervisor,
    ProcessWasm,
    Registry,
    TerminalHost,
)

RUNNABLE_KINDS: tuple[type[Entry], ...] = (
    ProcessWasm, ProcessPython, ProcessLua, ProcessSupervisor, ProcessService,
    FunctionWasm, FunctionWat, FunctionLua,
)
"""Entry classes ``wippy run`` can run: processes (supervisors and services included),
spawned on a host, and functions, called."""


class UsageError(Exception):
    """The command line asks for something the app does not have (exit status 2)."""


@dataclass(frozen=True)
class Command:
    """An entry exposed as a command through ``meta.command``."""

    name: str
    short: str
    entry: Entry


def commands(registry: Registry) -> list[Command]:
    """Every entry with a string ``meta.command.name``, sorted by name (duplicates kept)."""
    found = []
    for entry in registry:
        name = entry.command_name
        if name is None:
            continue
        command = entry.meta.get("command")
        short = command.get("short", "") if isinstance(command, Mapping) else ""
        found.append(Command(name, short if isinstance(short, str) else str(short), entry))
    return sorted(found, key=lambda c: (c.name, c.entry.id))


def find_command(registry: Registry, name: str) -> Entry:
    """The entry of command ``name``.

    Raises UsageError when no entry or several entries declare it (naming them).
    """
    matching = [c for c in commands(registry) if c.name == name]
    if not matching:
        known = ", ".join(sorted({c.name for c in commands(registry)})) or "none"
        raise UsageError(f"no command {name!r} (commands: {known}; see `wippy run list`)")
    if len(matching) > 1:
        ids = ", ".join(c.entry.id for c in matching)
        raise UsageError(f"command {name!r} is declared by several entries: {ids}; "
                         "run one with `wippy run -x NS:NAME`")
    return matching[0].entry


def runnable_entry(registry: Registry, entry_id: str) -> Entry:
    """The runnable (process or function) entry ``entry_id``.

    Raises UsageError when there is no such entry or it is of a kind that cannot run.
    """
    try:
        entry = registry.get(entry_id)
    except KeyError as exc:
        raise UsageError(str(exc.args[0])) from None
    if not isinstance(entry, RUNNABLE_KINDS):
        kinds = ", ".join(cls.KIND or cls.__name__ for cls in RUNNABLE_KINDS)
        raise UsageError(f"entry {entry_id} is a {entry.KIND}, which cannot be run ({kinds} can)")
    return entry


def terminal_host(registry: Registry, requested: str | None) -> str:
    """The host ``wippy run`` uses: ``requested`` (``--host``), else the app's terminal.host.

    Raises UsageError when ``requested`` names no host entry, or when the app has no
    terminal.host or several of them (and no ``--host`` says which).
    """
    if requested is not None:
        entry = registry.entries.get(requested)
        if not isinstance(entry, (TerminalHost, ProcessHost)):
            hosts = ", ".join(e.id for e in registry if isinstance(e, (TerminalHost, ProcessHost)))
            raise UsageError(f"--host {requested}: no process.host or terminal.host with that id "
                             f"(hosts: {hosts or 'none'})")
        return requested
    terminals = [e.id for e in registry if isinstance(e, TerminalHost)]
    if not terminals:
        raise UsageError("the app has no terminal.host to run commands on: add an entry of kind "
                         "terminal.host, or pass --host NS:NAME")
    if len(terminals) > 1:
        raise UsageError(f"the app has several terminal.host entries ({', '.join(terminals)}): "
                         "pass --host NS:NAME to choose one")
    return terminals[0]
