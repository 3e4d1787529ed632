"""Spawning processes: Python functions, and registry entries or added programs (found, their
arguments converted, or started by the starter of their kind), on this node's hosts or, in a
cluster, on another node's; then admitted by the host, registered in the table and launched."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

from wippy.actors.actor import ProcessActor, ProcessRun
from wippy.actors.body import ProcessBody
from wippy.actors.errors import HostStoppedError, ProcessExitedError, SpawnArgumentError, SpawnError
from wippy.actors.events import TERMINATED, ProcessError
from wippy.actors.function_body import FunctionBody, ProcessFunction
from wippy.actors.host import Host, HostState
from wippy.actors.introspect import FuelMeters
from wippy.actors.limits import STEPPED_MAPS, THREAD_MAPS, MapBudget
from wippy.actors.output import OutputRouter, sink_for
from wippy.actors.pid import Pid, PidAllocator
from wippy.actors.process import Process
from wippy.actors.programs import Programs
from wippy.actors.remote import Remote
from wippy.actors.scheduler import ThreadPool
from wippy.actors.start_watch import StartWatch
from wippy.actors.starters import find_starter, start_entry
from wippy.actors.table import ProcessRecord, ProcessTable
from wippy.actors.terminal import TerminalInput
from wippy.actors.wasm_body import WasmBody
from wippy.timers import Timers
from wippy.wasm.api import Program
from wippy.wasm.errors import ArgumentError

if TYPE_CHECKING:
    from wippy.actors.runtime import Runtime
    from wippy.config import Registry

logger = logging.getLogger(__name__)


class Spawning:
    """Mixin of :class:`~wippy.actors.Runtime`: spawning processes. The runtime is the
    :class:`~wippy.actors.ops.ProcessOps` of the processes it makes."""

    _registry: Registry | None
    _programs: Programs
    _output: OutputRouter
    _remote: Remote | None
    _table: ProcessTable
    _pids: PidAllocator
    _pool: ThreadPool
    _maps: MapBudget
    _fuel: FuelMeters
    _exits: threading.Condition
    _actors: int
    _exit_waiters: int
    _terminal_input: TerminalInput | None

    if TYPE_CHECKING:  # from the Runtime and its other parts: the rest of ProcessOps, hosts

        @property
        def table(self) -> ProcessTable: ...

        @property
        def timers(self) -> Timers: ...

        def cancel(self, pid: Pid, reason: str, grace: float | None, sender: Pid) -> bool: ...

        def terminate(self, pid: Pid | str) -> bool: ...

        def close_handle(self, pid: Pid, error: ProcessError | None) -> None: ...

        def call(self, entry_id: str, *args: Any) -> Any: ...

        def help(self) -> bool: ...

        def _host(self, host_id: str) -> Host: ...

        def _on_remote_host(self, host_id: str) -> bool: ...

        def _on_exit(self, record: ProcessRecord) -> None: ...

    def add_program(self, entry_id: str, program: Program) -> None:
        """Makes ``program`` spawnable as ``entry_id`` (overrides a registry entry)."""
        self._programs.add(entry_id, program)

    def spawn_function(
        self, fn: ProcessFunction, host_id: str, *args: Any, name: str | None = None
    ) -> Pid:
        """Runs ``fn(proc, *args)`` as a process on ``host_id``; see :meth:`Process.spawn_function`.

        Raises a SpawnError subclass when the host is unknown, stopped or full.
        """
        return self.spawn_function_as(
            fn, host_id, args, parent=None, monitor=False, link=False, name=name
        )

    def spawn(self, entry_id: str, host_id: str, *args: Any, name: str | None = None) -> Pid:
        """Spawns an entry with no parent; see :meth:`Process.spawn` (a supervisor or service
        entry: returns once it has started)."""
        return self.spawn_entry(
            entry_id, host_id, args, parent=None, monitor=False, link=False, name=name
        )

    def spawn_function_as(
        self,
        fn: ProcessFunction,
        host_id: str,
        args: tuple[Any, ...],
        *,
        parent: Pid | None,
        monitor: bool,
        link: bool,
        entry: str | None = None,
        name: str | None = None,
        watches: tuple[StartWatch, ...] = (),
    ) -> Pid:
        """Spawns ``fn(proc, *args)`` on behalf of ``parent`` (monitored/linked from the start,
        registered as ``name`` before it runs, its start watched by ``watches``); ``entry`` is
        the registry entry it runs, for introspection (default: its name)."""
        if not callable(fn):
            raise TypeError(f"spawn_function needs a callable, got {fn!r}")
        if self._on_remote_host(host_id):
            assert self._remote is not None
            return self._remote.spawn(host_id, fn, args, function=True, parent=parent,
                                      monitor=monitor, link=link, name=name, watches=watches)
        host = self._host(host_id)

        def make_body(record: ProcessRecord) -> ProcessBody:
            permit = host.queue.permit()
            record.permit = permit
            record.entry = entry or getattr(fn, "__qualname__", None) or repr(fn)
            record.role = getattr(fn, "wippy_role", None)
            return FunctionBody(fn, Process(self, record, handle=False), args, self._pool, permit)

        return self._spawn(
            host, "function", THREAD_MAPS, make_body, parent, monitor, link, name, watches
        )

    def spawn_entry(
        self,
        entry_id: str,
        host_id: str,
        args: tuple[Any, ...],
        *,
        parent: Pid | None,
        monitor: bool,
        link: bool,
        name: str | None = None,
        watches: tuple[StartWatch, ...] = (),
    ) -> Pid:
        """Spawns a registry entry (or added program) on behalf of ``parent``, registered as
        ``name`` before it runs, its start watched by ``watches``.

        An entry of a kind with a registered starter (``process.supervisor``,
        ``process.service``: see :mod:`wippy.actors.starters`) is started by it, and this
        returns once it acknowledged its start (waiting is a receive of the spawning process).
        On another node's host the spawn is made there (see :attr:`cluster`).
        """
        if self._on_remote_host(host_id):
            assert self._remote is not None
            return self._remote.spawn(host_id, entry_id, args, function=False, parent=parent,
                                      monitor=monitor, link=link, name=name, watches=watches)
        host = self._host(host_id)
        program = self._programs.cached(entry_id, host_id)
        if program is None:
            starter = find_starter(self._registry, entry_id)
            if starter is not None:  # a starter takes the Runtime this mixin is part of
                return start_entry(
                    cast("Runtime", self), starter, entry_id, host_id, args,
                    parent=parent, monitor=monitor, link=link, name=name, watches=watches,
                )
            function = self._programs.python_function(entry_id)
            if function is not None:
                return self.spawn_function_as(
                    function, host_id, args, parent=parent, monitor=monitor, link=link,
                    entry=entry_id, name=name, watches=watches,
                )
            program = self._programs.get(entry_id, host_id)
        try:
            converted = program.convert_args(args)
        except ArgumentError as exc:
            raise SpawnArgumentError(f"cannot spawn {entry_id!r}: {exc}") from exc
        slice_seconds = host.config.slice
        stdin = self._terminal_input if host.config.terminal else None

        def make_body(record: ProcessRecord) -> ProcessBody:
            pid = record.pid
            record.entry = entry_id
            return WasmBody(
                program,
                converted,
                pool=self._pool,
                context=Process(self, record, handle=False),
                stdout=sink_for(self._output, pid, "stdout"),
                stderr=sink_for(self._output, pid, "stderr"),
                on_overdue=lambda exc: self._table.kill(pid, ProcessError.from_exception(exc)),
                slice_seconds=slice_seconds,
                stdin=stdin,
                on_fuel=self._fuel.meter(entry_id),
            )

        cost = STEPPED_MAPS if program.steppable else THREAD_MAPS
        kind = getattr(program, "process_kind", "wasm")  # "lua" for a Lua program
        return self._spawn(host, kind, cost, make_body, parent, monitor, link, name, watches)

    def _spawn(
        self,
        host: Host,
        kind: str,
        maps: int,
        make_body: Callable[[ProcessRecord], ProcessBody],
        parent: Pid | None,
        monitor: bool,
        link: bool,
        name: str | None = None,
        watches: tuple[StartWatch, ...] = (),
    ) -> Pid:
        host_id = host.host_id
        self._maps.check(maps, f"a {kind} process on host {host_id!r}")
        host.admit()
        try:
            record = ProcessRecord(self._pids.allocate(host_id), kind, parent=parent)
            run = ProcessRun(
                record, make_body(record), self._table, self._on_started, self._on_closed,
                host.started,
            )
            record.control = run
            record.on_exit.append(self._on_exit)
            record.on_exit.append(run.exited)
            registered = self._table.register(
                record,
                monitor_by=parent if monitor else None,
                link_to=parent if link else None,
                name=name,
                watches=watches,
            )
            if not registered:
                raise ProcessExitedError(f"process {parent} has exited")
        except BaseException:
            host.started()
            raise
        pid = record.pid
        if host.state is not HostState.RUNNING:  # lost a race with stop_host
            self._table.kill(pid, TERMINATED)
            host.started()
            raise HostStoppedError(f"host {host_id!r} is {host.state.value}")
        with self._exits:
            self._actors += 1
        try:
            ProcessActor.launch(run, host.queue)
        except BaseException as exc:
            self._table.kill(pid, ProcessError("spawn", f"could not start: {exc}"))
            host.started()
            with self._exits:
                self._actors -= 1
                self._exits.notify_all()
            raise SpawnError(f"could not start process {pid}: {exc}") from exc
        logger.debug("spawned %s process %s", kind, pid)
        return pid

    def _on_started(self, record: ProcessRecord) -> None:
        self._table.mark_started(record.pid)
        for callback in record.on_started:
            try:
                callback(record)
            except Exception:
                logger.exception("start callback of %s failed", record.pid)

    def _on_closed(self, record: ProcessRecord) -> None:
        with self._exits:
            self._actors -= 1
            if self._exit_waiters:
                self._exits.notify_all()
