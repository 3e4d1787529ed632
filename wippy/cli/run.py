"""`wippy run`: spawn one entry as a process on the terminal host and wait for its EXIT.

A ``process.supervisor`` or ``process.service`` entry runs as its supervisor (or service
manager) on its own ``host`` (or ``--host``), with its tree's SUPERVISION and EXIT lines
printed as `wippy start` prints them, until it exits; Ctrl-C stops it in order.
"""

from __future__ import annotations

import json
import logging
import math
import os
import sys
from typing import TYPE_CHECKING, Any

from ..actors import (
    EXIT,
    SHUTDOWN_KIND,
    EntryLoadError,
    Event,
    Pid,
    Process,
    ProcessError,
    Runtime,
    SpawnArgumentError,
    SpawnError,
    UnknownEntryError,
)
from ..actors.output import write_through
from ..config import (
    ConfigError,
    Entry,
    ProcessService,
    ProcessSupervisor,
    ProcessWasm,
    Registry,
)
from ..wasm import Program, WasmError, WasmRuntime
from .app import UsageError, commands, terminal_host
from .events import EventLog
from .progress import Progress
from .signals import Signals, exit_status_for, signal_name

if TYPE_CHECKING:
    from .start import _Watch

log = logging.getLogger("wippy.cli")

CANCEL_GRACE = 1.0
"""Seconds a process has to exit after the first Ctrl-C before it is terminated."""

STOP_JOIN = 1.0
"""Seconds to wait for process threads after an interrupted run before leaving them."""

POLL = 0.1
"""How often (s) the waiting CLI looks for signals while no event arrives."""



def _stdin_fd() -> int | None:
    """wippy's own stdin, which the command's guest reads live; None when there is none."""
    try:
        return sys.stdin.fileno() if sys.stdin is not None else None
    except (OSError, ValueError):
        return None


def list_commands(registry: Registry) -> int:
    """Prints every command: name, short description and entry id, in aligned columns."""
    rows = [(c.name, c.short, c.entry.id) for c in commands(registry)]
    if not rows:
        print("no commands (no entry has meta.command.name)")
        return 0
    widths = [max(len(row[i]) for row in rows) for i in range(2)]
    for name, short, entry_id in rows:
        print(f"{name:<{widths[0]}}  {short:<{widths[1]}}  {entry_id}".rstrip())
    return 0


def run_entry(
    registry: Registry, entry_id: str, args: list[str], host: str | None, verbose: bool
) -> int:
    """Runs ``entry_id`` with ``args`` as a process on the terminal host; returns the exit status.

    A supervisor or service entry runs on its own host instead (see :func:`run_tree`). Raises
    UsageError when the app has no host to run it on.
    """
    entry = registry.get(entry_id)
    if isinstance(entry, (ProcessSupervisor, ProcessService)):
        return run_tree(registry, entry, args, host, verbose)
    host_id = terminal_host(registry, host)
    wasm = WasmRuntime()
    try:
        program = _load(wasm, registry, entry_id)
        if program is not None and _takes_argv(registry.get(entry_id), program, args):
            wasm.close()  # its program has the entry's own argv; load it again with ours
            wasm = WasmRuntime()
            registry, args = _with_argv(registry, entry_id, args), []
            _load(wasm, registry, entry_id)
        runtime = Runtime(registry, wasm=wasm, output=TerminalOutput(), stdin=_stdin_fd())
        return _run(runtime, entry_id, args, host_id, verbose)
    finally:
        wasm.close()


def _run(rt: Runtime, entry_id: str, args: list[Any], host_id: str, verbose: bool) -> int:
    interrupted: int | None = None
    try:
        rt.start_host(host_id)
        with rt.process() as me, Signals() as signals:
            try:
                pid = me.spawn_monitored(entry_id, host_id, *args)
            except SpawnArgumentError as exc:  # the command line does not fit the signature
                raise UsageError(str(exc.__cause__ or exc)) from exc
            except UnknownEntryError as exc:
                raise UsageError(str(exc)) from exc
            except EntryLoadError as exc:
                print(f"wippy: {exc.__cause__ or exc}", file=sys.stderr)
                return 1
            except SpawnError as exc:
                print(f"wippy: {exc}", file=sys.stderr)
                return 1
            log.info("running %s as %s on %s", entry_id, pid, host_id)
            event, interrupted = _wait(me, pid, signals)
    finally:
        # After Ctrl-C, do not wait long for a guest blocked in a host call (e.g. a sleep).
        rt.stop(join_timeout=STOP_JOIN if interrupted is not None else 10.0)
    if interrupted is not None:
        log.info("%s ended after %s: %s", entry_id, signal_name(interrupted), event)
        return exit_status_for(interrupted)
    if event.error is not None:
        return failed(event.error, verbose)
    return status_of(event.value)


def run_tree(
    registry: Registry,
    entry: ProcessSupervisor | ProcessService,
    args: list[str],
    host: str | None,
    verbose: bool,
) -> int:
    """Runs a supervisor or service entry until it exits; returns the exit status.

    It runs on ``host`` (``--host``), else on its entry's own ``host`` (which stays its
    children's default), started if it is not ``auto_start``. Its SUPERVISION reports and the
    EXIT of it and of its nested supervisors are printed on stdout as `wippy start` prints
    them. A first SIGINT/SIGTERM cancels it (it stops its children in reverse order, each
    with its shutdown time, then exits), a second terminates it (its children with it); the
    status is then 128 + the first signal. Otherwise 0 when it ended normally or by
    ``auto_shutdown``, 1 when it gave up or failed (or could not start), the service's result
    as ``run`` reads a result. Raises UsageError for arguments or a bad ``--host``.
    """
    from ..supervisors import AppRuntime
    from .start import _Watch

    if args:
        raise UsageError(f"{entry.id} is a {entry.KIND}: it takes no arguments "
                         f"(got {' '.join(args)})")
    host_id = terminal_host(registry, host) if host is not None else str(entry.host)
    with WasmRuntime() as wasm:
        rt = AppRuntime(registry, wasm=wasm, output=TerminalOutput(), start=False)
        interrupted: int | None = None
        try:
            rt.start_host(host_id)
            with rt.process() as me, Signals() as signals:
                try:
                    pid = me.spawn_monitored(entry.id, host_id)
                except SpawnError as exc:
                    print(f"wippy: {exc}", file=sys.stderr)
                    return 1
                log.info("running %s %s as %s on %s", entry.KIND, entry.id, pid, host_id)
                watch = _Watch(rt, me, EventLog())
                watch.follow(pid, entry.id, supervisor=isinstance(entry, ProcessSupervisor))
                event, interrupted = _wait_tree(me, pid, watch, signals, entry.id)
        finally:
            rt.stop(join_timeout=STOP_JOIN if interrupted is not None else 10.0)
    if interrupted is not None:
        return exit_status_for(interrupted)
    if event.error is not None and (watch.failed or event.error.kind != SHUTDOWN_KIND):
        return failed(event.error, verbose)
    return 0 if event.error is not None else status_of(event.value)


def _wait_tree(
    me: Process, pid: Pid, watch: _Watch, signals: Signals, name: str
) -> tuple[Event, int | None]:
    """Shows the tree's events until ``pid``'s EXIT; the first signal cancels it (no grace
    limit: it applies its children's shutdown times), a second terminates it. Returns the
    EXIT and the first signal, if any."""
    interrupted: int | None = None
    while True:
        for signum in signals.take():
            if interrupted is None:
                interrupted = signum
                print(f"wippy: {signal_name(signum)}: stopping {name} {pid}: its children stop "
                      "in reverse order (Ctrl-C again to stop at once)",
                      file=sys.stderr, flush=True)
                me.cancel(pid, reason=f"{signal_name(signum)} from the terminal", grace=math.inf)
            else:
                me.terminate(pid)
        item = me.receive(timeout=POLL)
        if isinstance(item, Event):
            watch.show(item)
            if item.type == EXIT and item.pid == pid:
                return item, interrupted


def _load(wasm: WasmRuntime, registry: Registry, entry_id: str) -> Program | None:
    """Loads a ``process.wasm`` entry's program (progress on a terminal: compiling can take a
    while on a cold cache). None for other entries or when loading fails (the spawn reports
    that)."""
    if not isinstance(registry.entries.get(entry_id), ProcessWasm):
        return None
    with Progress(sys.stderr, 1, "loading") as progress:
        progress.step(entry_id)
        try:
            return wasm.program(registry, entry_id)
        except (WasmError, ConfigError, OSError):
            return None


ARGV_PROFILES = frozenset({"wasi1", "wasi_snapshot_preview1", "wasi:cli"})
"""Import profiles that give a guest its argv."""


def _takes_argv(entry: Entry, program: Program, args: list[str]) -> bool:
    """True for a WASI command given arguments: an export without parameters, with access to
    its argv; the arguments then become its argv rather than call arguments."""
    return (
        bool(args)
        and isinstance(entry, ProcessWasm)
        and bool(ARGV_PROFILES & set(entry.imports))
        and not program.signature.params
    )


def _with_argv(registry: Registry, entry_id: str, args: list[str]) -> Registry:
    """The registry with ``args`` appended to the entry's ``wasi.args``."""
    entry = registry.get_as(entry_id, ProcessWasm)
    wasi = entry.wasi.model_copy(update={"args": [*entry.wasi.args, *args]})
    entries = dict(registry.entries)
    entries[entry_id] = entry.model_copy(update={"wasi": wasi})
    return Registry(entries, registry.root)


class TerminalOutput:
    """The runtime's output router for the CLI: guest output goes to our stdout/stderr as it is
    written; once the reader of a pipe has gone (``wippy run ... | head``), the rest of that
    stream is dropped (the guest carries on)."""

    def __init__(self) -> None:
        self._closed: set[str] = set()

    def __call__(self, pid: Pid, stream: str, data: bytes) -> None:
        if stream in self._closed:
            return
        try:
            write_through(pid, stream, data)
        except BrokenPipeError:
            self._closed.add(stream)
            target = sys.stderr if stream == "stderr" else sys.stdout
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, target.fileno())  # what stayed buffered can be flushed at exit
            os.close(devnull)


def _wait(me: Process, pid: Pid, signals: Signals) -> tuple[Event, int | None]:
    """Waits for ``pid``'s EXIT. The first SIGINT/SIGTERM cancels it (terminated after
    :data:`CANCEL_GRACE`), a second one terminates it at once. Returns the EXIT and the first
    signal, if any."""
    interrupted: int | None = None
    while True:
        for signum in signals.take():
            if interrupted is None:
                interrupted = signum
                print(f"wippy: {signal_name(signum)}: cancelling {pid} "
                      "(Ctrl-C again to stop it at once)", file=sys.stderr, flush=True)
                me.cancel(pid, reason=f"{signal_name(signum)} from the terminal",
                          grace=CANCEL_GRACE)
            else:
                me.terminate(pid)
        item = me.receive(timeout=POLL)
        if isinstance(item, Event) and item.type == EXIT and item.pid == pid:
            return item, interrupted


def failed(error: ProcessError, verbose: bool) -> int:
    """Prints a failure (with its traceback when ``verbose``) and returns its exit status: a
    WASI ``exit(n)`` gives n, anything else 1."""
    print(f"wippy: {error}", file=sys.stderr)
    if verbose and error.details:
        print(error.details.rstrip(), file=sys.stderr)
    if error.kind == "exit" and error.status is not None:
        return min(error.status, 255) or 1  # a WASI command's exit(n) is wippy's exit status n
    return 1


def status_of(value: Any) -> int:
    """Exit status for an EXIT value (or a function's result): none 0, bool 0/1, int itself,
    anything else printed, 0.

    A WIT ``result`` (``{"ok": v}`` / ``{"err": e}``, e.g. from ``wasi:cli/run``) is unwrapped:
    ``v`` by these rules, ``e`` printed on stderr with status 1.
    """
    if isinstance(value, dict) and len(value) == 1 and ("ok" in value or "err" in value):
        if "err" in value:
            error = value["err"]
            print(f"wippy: error: {error if isinstance(error, str) else _render(error)}",
                  file=sys.stderr)
            return 1
        return status_of(value["ok"])
    if value is None:
        return 0
    if isinstance(value, bool):
        return 0 if value else 1
    if isinstance(value, int):
        if 0 <= value <= 255:
            return value
        print(f"wippy: result {value} is not an exit status (0..255)", file=sys.stderr)
        return 1
    if isinstance(value, str):
        print(value)
    elif isinstance(value, (bytes, bytearray)):
        sys.stdout.flush()
        sys.stdout.buffer.write(bytes(value))
        sys.stdout.buffer.flush()
    else:
        print(_render(value))
    return 0


def _render(value: Any) -> str:
    try:
        return json.dumps(value, default=_jsonable, ensure_ascii=False)
    except (TypeError, ValueError):
        return repr(value)


def _jsonable(value: Any) -> Any:
    if isinstance(value, (set, frozenset, tuple)):
        return sorted(value) if isinstance(value, (set, frozenset)) else list(value)
    raise TypeError(f"not JSON: {type(value).__name__}")
