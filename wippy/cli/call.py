"""`wippy run` of a function entry: one synchronous call, its result as the exit status."""

from __future__ import annotations

import logging
import sys
import threading
from typing import Any

from ..actors import EntryLoadError, ProcessError
from ..actors.programs import EntryFunction, Programs
from ..config import ConfigError, FunctionLua, Registry
from ..wasm import ArgumentError, WasmError, WasmRuntime
from .app import UsageError
from .progress import Progress
from .run import failed, status_of
from .signals import Signals, exit_status_for, signal_name

log = logging.getLogger("wippy.cli")

POLL = 0.1
"""How often (s) the waiting CLI looks for signals while the call runs."""


def call_function(registry: Registry, entry_id: str, args: list[str], verbose: bool) -> int:
    """Calls the function entry ``entry_id`` with ``args`` and returns the exit status by the
    rules of ``wippy run`` (a process's EXIT value or error, here the call's result or error).

    Needs no host. Raises UsageError when ``args`` do not fit the signature. A signal ends the
    wait at once (130 for SIGINT, 143 for SIGTERM): a call cannot be cancelled, so wippy leaves
    without it.
    """
    with WasmRuntime() as wasm:
        with Progress(sys.stderr, 1, "loading") as progress:
            progress.step(entry_id)
            try:
                function = _function(registry, wasm, entry_id)
            except (WasmError, ConfigError, OSError) as exc:
                print(f"wippy: {ProcessError.from_exception(exc)}", file=sys.stderr)
                return 1
        try:
            function.convert_args(args)  # a usage error, before the call
        except ArgumentError as exc:
            raise UsageError(str(exc)) from None
        outcome: list[tuple[bool, Any]] = []
        log.info("calling %s", entry_id)
        with Signals() as signals:
            worker = threading.Thread(target=_call, args=(function, args, outcome),
                                      name=f"wippy-call-{entry_id}", daemon=True)
            worker.start()
            while worker.is_alive():
                arrived = signals.take()
                if arrived:
                    print(f"wippy: {signal_name(arrived[0])}: leaving {entry_id} running",
                          file=sys.stderr, flush=True)
                    return exit_status_for(arrived[0])
                worker.join(POLL)
    ok, value = outcome[0]
    if not ok:
        return failed(ProcessError.from_exception(value), verbose)
    return status_of(value)


def _function(registry: Registry, wasm: WasmRuntime, entry_id: str) -> EntryFunction:
    """The entry's callable: a WebAssembly function from ``wasm``, a ``function.lua`` through
    the runtime's function sources (which reach ``wasm`` for the functions it calls)."""
    stdout, stderr = _write("stdout"), _write("stderr")
    if not isinstance(registry.get(entry_id), FunctionLua):
        return wasm.function(registry, entry_id, stdout=stdout, stderr=stderr)
    try:
        return Programs(registry, wasm).function(entry_id, stdout, stderr)
    except EntryLoadError as exc:
        cause = exc.__cause__
        raise cause if isinstance(cause, WasmError) else exc from None


def _call(function: EntryFunction, args: list[str], outcome: list[tuple[bool, Any]]) -> None:
    try:
        outcome.append((True, function.call(*args)))
    except Exception as exc:  # reported by the waiting thread
        outcome.append((False, exc))


def _write(stream: str) -> Any:
    target = sys.stderr if stream == "stderr" else sys.stdout

    def sink(data: bytes) -> None:
        target.flush()
        target.buffer.write(data)
        target.buffer.flush()

    return sink
