"""The runtime: owns hosts, the process table, process actors and their threads."""

from __future__ import annotations

import enum
import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Any

from wippy.actors.actor import ProcessRun
from wippy.actors.body import FunctionBody, ProcessBody, ProcessFunction
from wippy.actors.errors import (
    HostStoppedError,
    ProcessExitedError,
    RuntimeStoppedError,
    SpawnArgumentError,
    SpawnError,
    UnknownHostError,
)
from wippy.actors.events import CANCEL, TERMINATED, Event, Message, ProcessError
from wippy.actors.host import Host, HostConfig, HostState, HostStats
from wippy.actors.output import OutputRouter, sink_for, write_through
from wippy.actors.pid import Pid, PidAllocator
from wippy.actors.process import Process
from wippy.actors.programs import Programs
from wippy.actors.scheduler import ThreadScheduler
from wippy.actors.table import ProcessRecord, ProcessTable
from wippy.timers import KeyedTimers, Timers
from wippy.actors.wasm_process import WasmBody
from wippy.wasm.api import Program
from wippy.wasm.errors import ArgumentError

if TYPE_CHECKING:
    from wippy.config import Registry
    from wippy.wasm import WasmRuntime

logger = logging.getLogger(__name__)

HANDLE_HOST = "local"
"""The host name in the pids of :meth:`Runtime.process` handles (they run on no host)."""

_SHUTDOWN = ProcessError("terminated", "runtime stopped")


class _State(enum.Enum):
    RUNNING = "running"
    STOPPING = "stopping"
    STOPPED = "stopped"


@dataclass(frozen=True)
class RuntimeStats:
    """Sizes of the runtime's tables, for leak checks and monitoring."""

    processes: int
    monitors: int
    links: int
    handles: int
    actors: int
    cancel_timers: int


class Runtime:
    """Runs processes on hosts; a context manager whose exit calls :meth:`stop`.

    With a ``registry``, its ``process.host``/``terminal.host`` entries become hosts (started if
    ``lifecycle.auto_start``) and its ``process.wasm`` entries can be spawned, loaded through
    ``wasm`` (a :class:`~wippy.wasm.WasmRuntime`; one is created and owned when not given).
    Hosts and programs can also be added directly with :meth:`add_host`/:meth:`add_program`.
    ``engine`` is the default engine of the WebAssembly runtime created when ``wasm`` is None.
    Guest output goes to ``output`` (default: this process's stdout/stderr).
    """

    def __init__(
        self,
        registry: Registry | None = None,
        *,
        wasm: WasmRuntime | None = None,
        output: OutputRouter | None = None,
        default_stop_timeout: float = 5.0,
        engine: str | None = None,
    ) -> None:
        self._registry = registry
        self._programs = Programs(registry, wasm, engine)
        self._output: OutputRouter = output or write_through
        self._default_stop_timeout = default_stop_timeout
        self._table = ProcessTable()
        self._pids = PidAllocator()
        self._scheduler = ThreadScheduler()
        self._timers = Timers()
        self._lock = threading.RLock()
        self._exits = threading.Condition(threading.Lock())
        self._state = _State.RUNNING
        self._hosts: dict[str, Host] = {}
        self._started_hosts: list[str] = []
        self._handles: dict[Pid, Process] = {}
        self._graces = KeyedTimers(self._timers)
        self._pid = self._pids.allocate(HANDLE_HOST)
        if registry is not None:
            from wippy.actors.from_registry import registry_hosts

            for entry in registry_hosts(registry):
                self._add_host(entry.config, auto_start=entry.auto_start)

    @property
    def registry(self) -> Registry | None:
        """The registry this runtime was created with, if any."""
        return self._registry

    @property
    def stopped(self) -> bool:
        """True once :meth:`stop` has been called."""
        return self._state is not _State.RUNNING

    @property
    def pid(self) -> Pid:
        """The runtime's own pid: the sender of messages sent with :meth:`send`."""
        return self._pid

    def send(self, pid: Pid, topic: str, *payload: Any) -> bool:
        """Sends ``Message(topic, payload, rt.pid)`` to ``pid`` from outside any process.

        False when ``pid`` is gone.
        """
        return self._table.deliver(pid, Message(topic, payload, self._pid))

    # -- hosts ------------------------------------------------------------------------------

    def add_host(
        self,
        host_id: str,
        workers: int = 16,
        queue_size: int = 1024,
        stop_timeout: float = 5.0,
        *,
        auto_start: bool = True,
    ) -> None:
        """Adds a host (started at once unless ``auto_start=False``).

        Raises ValueError for a duplicate id or bad settings, RuntimeStoppedError once stopping.
        """
        self._add_host(HostConfig(host_id, workers, queue_size, stop_timeout), auto_start)

    def _add_host(self, config: HostConfig, auto_start: bool) -> None:
        with self._lock:
            self._check_running()
            if config.host_id in self._hosts:
                raise ValueError(f"host {config.host_id!r} already exists")
            self._hosts[config.host_id] = Host(config)
        if auto_start:
            self.start_host(config.host_id)

    def start_host(self, host_id: str) -> None:
        """Starts the host so processes can be spawned on it; no-op if running.

        Raises UnknownHostError, RuntimeStoppedError, or HostStoppedError while it is stopping.
        """
        with self._lock:
            self._check_running()
            host = self._host(host_id)
            if host.state is HostState.STOPPING:
                raise HostStoppedError(f"host {host_id!r} is stopping")
            if host.state is HostState.STOPPED:
                host.set_state(HostState.RUNNING)
                self._started_hosts.append(host_id)
                logger.debug("host %s started", host_id)

    def stop_host(self, host_id: str) -> None:
        """Stops the host: CANCEL to its processes, up to ``stop_timeout`` s, then terminate.

        Spawning on it raises HostStoppedError from the moment this is called. Raises
        UnknownHostError. No-op when already stopped.
        """
        with self._lock:
            host = self._host(host_id)
            if host.state is not HostState.RUNNING:
                return
            host.set_state(HostState.STOPPING)
            self._started_hosts.remove(host_id)
        logger.debug("stopping host %s", host_id)
        self._drain(lambda: self._table.pids(host_id), host.config.stop_timeout, "host stopping")
        host.set_state(HostState.STOPPED)
        logger.debug("host %s stopped", host_id)

    def host_stats(self, host_id: str) -> HostStats:
        """The host's state and how many processes run and wait. Raises UnknownHostError."""
        return self._host(host_id).stats()

    @property
    def hosts(self) -> dict[str, HostConfig]:
        """The configs of all hosts by id."""
        with self._lock:
            return {host_id: host.config for host_id, host in self._hosts.items()}

    def _host(self, host_id: str) -> Host:
        host = self._hosts.get(host_id)
        if host is None:
            known = ", ".join(sorted(self._hosts)) or "none"
            raise UnknownHostError(f"unknown host {host_id!r} (hosts: {known})")
        return host

    # -- programs ---------------------------------------------------------------------------

    def add_program(self, entry_id: str, program: Program) -> None:
        """Makes ``program`` spawnable as ``entry_id`` (overrides a registry entry)."""
        self._programs.add(entry_id, program)

    # -- processes --------------------------------------------------------------------------

    def process(self) -> Process:
        """Creates a handle: a process for the calling Python code (own pid and mailbox).

        Close it with :meth:`Process.close` or ``with``; :meth:`stop` closes any left open.
        Raises RuntimeStoppedError once stopping.
        """
        with self._lock:
            self._check_running()
            record = ProcessRecord(self._pids.allocate(HANDLE_HOST), "handle")
            record.on_exit.append(self._on_exit)
            proc = Process(self, record, handle=True)
            self._handles[record.pid] = proc
            self._table.register(record)
        return proc

    def spawn_function(self, fn: ProcessFunction, host_id: str, *args: Any) -> Pid:
        """Runs ``fn(proc, *args)`` as a process on ``host_id``; see :meth:`Process.spawn_function`.

        Raises a SpawnError subclass when the host is unknown, stopped or full.
        """
        return self._spawn_function(fn, host_id, args, parent=None, monitor=False, link=False)

    def spawn(self, entry_id: str, host_id: str, *args: Any) -> Pid:
        """Spawns a program entry with no parent; see :meth:`Process.spawn`."""
        return self._spawn_entry(entry_id, host_id, args, parent=None, monitor=False, link=False)

    def is_alive(self, pid: Pid) -> bool:
        """True while ``pid`` has not exited."""
        return self._table.is_alive(pid)

    def stats(self) -> RuntimeStats:
        """Current table sizes (processes, monitor/link edges, handles, actors, timers)."""
        table = self._table.stats()
        with self._lock:
            handles, timers = len(self._handles), len(self._graces)
        return RuntimeStats(
            table.processes, table.monitors, table.links, handles, self._scheduler.active(), timers
        )

    # -- internals used by Process ------------------------------------------------------------

    def _spawn_function(
        self,
        fn: ProcessFunction,
        host_id: str,
        args: tuple[Any, ...],
        *,
        parent: Pid | None,
        monitor: bool,
        link: bool,
    ) -> Pid:
        if not callable(fn):
            raise TypeError(f"spawn_function needs a callable, got {fn!r}")

        def make_body(record: ProcessRecord) -> ProcessBody:
            return FunctionBody(fn, Process(self, record, handle=False), args)

        return self._spawn(host_id, "function", make_body, parent, monitor, link)

    def _spawn_entry(
        self,
        entry_id: str,
        host_id: str,
        args: tuple[Any, ...],
        *,
        parent: Pid | None,
        monitor: bool,
        link: bool,
    ) -> Pid:
        self._host(host_id)
        function = self._programs.python_function(entry_id)
        if function is not None:
            return self._spawn_function(
                function, host_id, args, parent=parent, monitor=monitor, link=link
            )
        program = self._programs.get(entry_id, host_id)
        try:
            converted = program.convert_args(args)
        except ArgumentError as exc:
            raise SpawnArgumentError(f"cannot spawn {entry_id!r}: {exc}") from exc

        def make_body(record: ProcessRecord) -> ProcessBody:
            return WasmBody(
                program,
                converted,
                stdout=sink_for(self._output, record.pid, "stdout"),
                stderr=sink_for(self._output, record.pid, "stderr"),
                on_overdue=lambda exc: self._table.kill(
                    record.pid, ProcessError.from_exception(exc)
                ),
            )

        return self._spawn(host_id, "wasm", make_body, parent, monitor, link)

    def _spawn(
        self,
        host_id: str,
        kind: str,
        make_body: Callable[[ProcessRecord], ProcessBody],
        parent: Pid | None,
        monitor: bool,
        link: bool,
    ) -> Pid:
        host = self._host(host_id)
        ticket = host.admit()
        try:
            record = ProcessRecord(self._pids.allocate(host_id), kind)
            run = ProcessRun(record, make_body(record), ticket, self._table, _closed)
            record.control = run
            record.ticket = ticket
            record.on_exit.append(self._on_exit)
            registered = self._table.register(
                record,
                monitor_by=parent if monitor else None,
                link_to=parent if link else None,
            )
            if not registered:
                raise ProcessExitedError(f"process {parent} has exited")
        except BaseException:
            ticket.close()
            raise
        pid = record.pid
        if host.state is not HostState.RUNNING:  # lost a race with stop_host
            self._table.kill(pid, TERMINATED)
            ticket.close()
            raise HostStoppedError(f"host {host_id!r} is {host.state.value}")
        try:
            self._scheduler.start(run)
        except BaseException as exc:
            self._table.kill(pid, ProcessError("spawn", f"could not start: {exc}"))
            ticket.close()
            raise SpawnError(f"could not start process {pid}: {exc}") from exc
        logger.debug("spawned %s process %s", kind, pid)
        return pid

    def _cancel(self, pid: Pid, reason: str, grace: float | None, sender: Pid) -> bool:
        if not self._table.deliver(pid, Event(CANCEL, sender, reason=reason)):
            return False
        if grace is None:
            host = self._hosts.get(pid.host)
            grace = host.config.stop_timeout if host else self._default_stop_timeout
        if math.isinf(grace):
            return True
        self._graces.start(pid, grace, lambda: self._expire(pid))
        if not self._table.is_alive(pid):  # exited before the timer was recorded
            self._graces.drop(pid)
        return True

    def _expire(self, pid: Pid) -> None:
        if self._table.kill(pid, TERMINATED):
            logger.info("process %s did not exit within its cancel grace period", pid)

    def _terminate(self, pid: Pid) -> bool:
        return self._table.kill(pid, TERMINATED)

    def _close_handle(self, proc: Process, error: ProcessError | None) -> None:
        self._table.exit(proc.self, error=error)

    def _on_exit(self, record: ProcessRecord) -> None:
        self._graces.drop(record.pid)
        if record.kind == "handle":
            with self._lock:
                self._handles.pop(record.pid, None)
        with self._exits:
            self._exits.notify_all()

    def _drain(self, live: Callable[[], list[Pid]], grace: float, reason: str) -> None:
        """CANCELs the ``live`` processes, waits up to ``grace`` s, then terminates the rest."""
        for pid in live():
            self._table.deliver(pid, Event(CANCEL, pid, reason=reason))
        deadline = time.monotonic() + grace
        with self._exits:
            while live():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._exits.wait(remaining)
        for pid in live():
            if self._table.kill(pid, TERMINATED):
                logger.info("process %s terminated: it did not exit after CANCEL", pid)

    # -- lifetime -----------------------------------------------------------------------------

    def stop(self, join_timeout: float = 10.0) -> None:
        """Stops everything: hosts in reverse start order (CANCEL, grace, terminate), open
        handles, then joins every process thread (up to ``join_timeout`` s) and the timers.

        Function processes that ignore termination (stuck outside wippy calls) are logged as
        warnings if their threads do not end in time. Idempotent; never raises for that.
        """
        with self._lock:
            if self._state is not _State.RUNNING:
                return
            self._state = _State.STOPPING
            order = list(reversed(self._started_hosts))
        for host_id in order:
            self.stop_host(host_id)
        for pid in self._table.pids():
            self._table.kill(pid, _SHUTDOWN)
        for run in self._scheduler.join(join_timeout):
            logger.warning("process %s still running after stop; its thread is left", run.pid)
        self._scheduler.close()
        self._timers.close()
        self._graces.clear()
        with self._lock:
            self._state = _State.STOPPED
        self._programs.close()
        logger.debug("runtime stopped")

    def _check_running(self) -> None:
        if self._state is not _State.RUNNING:
            raise RuntimeStoppedError(f"the runtime is {self._state.value}")

    def __enter__(self) -> Runtime:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def _closed(pid: Pid) -> None:
    logger.debug("process %s closed", pid)
