"""The runtime: owns hosts, the process table, process actors, their threads and timers."""

from __future__ import annotations

import enum
import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import TYPE_CHECKING, Any

import wippy.actors.process_api  # noqa: F401 - offers wippy:process to every WasmRuntime
from wippy.actors.actor import ProcessActor, ProcessRun
from wippy.actors.body import ProcessBody
from wippy.actors.errors import (
    HostStoppedError,
    ProcessExitedError,
    RuntimeStoppedError,
    SpawnArgumentError,
    SpawnError,
    UnknownHostError,
)
from wippy.actors.events import (
    CANCEL,
    SHUTDOWN_KIND,
    SUPERVISION,
    TERMINATED,
    Event,
    Message,
    ProcessError,
)
from wippy.actors.function_body import FunctionBody, ProcessFunction, current_process
from wippy.actors.host import Host, HostConfig, HostState, HostStats
from wippy.actors.introspect import FuelMeters, ProcessInfo, RuntimeCounters, describe_all
from wippy.actors.limits import STEPPED_MAPS, THREAD_MAPS, MapBudget
from wippy.actors.output import OutputRouter, sink_for, write_through
from wippy.actors.pid import Pid, PidAllocator
from wippy.actors.process import Process
from wippy.actors.programs import Programs
from wippy.actors.remote import Remote, remote_for
from wippy.actors.scheduler import ThreadPool
from wippy.actors.start_watch import StartWatch
from wippy.actors.starters import find_starter, start_entry
from wippy.actors.table import ProcessRecord, ProcessTable
from wippy.actors.terminal import TerminalInput
from wippy.actors.wasm_body import WasmBody
from wippy.timers import KeyedTimers, Timers
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
    """Sizes of the runtime's tables, for leak checks and monitoring: live processes,
    monitor/link edges, open handles, process actors not yet closed, pending cancel timers and
    threads running blocking bodies; and totals since it started: processes spawned (handles
    included), exits by error kind (``normal`` for none), messages delivered, and restarts and
    give-ups by supervisor (or service) name. :meth:`Runtime.counters` has them in detail.
    Equality compares the sizes only (leak checks compare a stats with all zeros)."""

    processes: int
    monitors: int
    links: int
    handles: int
    actors: int
    cancel_timers: int
    threads: int = 0
    spawns: int = field(default=0, compare=False)
    exits: dict[str, int] = field(default_factory=dict, compare=False)
    messages: int = field(default=0, compare=False)
    restarts: dict[str, int] = field(default_factory=dict, compare=False)
    give_ups: dict[str, int] = field(default_factory=dict, compare=False)


class Runtime:
    """Runs processes on hosts; a context manager whose exit calls :meth:`stop`.

    With a ``registry``, its ``process.host``/``terminal.host`` entries become hosts (started if
    ``lifecycle.auto_start``) and its ``process.wasm`` entries can be spawned, loaded through
    ``wasm`` (a :class:`~wippy.wasm.WasmRuntime`; one is created and owned when not given).
    Hosts and programs can also be added directly with :meth:`add_host`/:meth:`add_program`.
    ``engine`` is the default engine of the WebAssembly runtime created when ``wasm`` is None.
    Guest output goes to ``output`` (default: this process's stdout/stderr). ``map_limit``
    overrides the kernel's ``vm.max_map_count`` for the spawn check (see :mod:`.limits`).
    ``stdin`` is a file descriptor (the CLI passes 0) that the WebAssembly processes of terminal
    hosts read as their live stdin; without it their stdin is empty.

    In a cluster (a registry with a ``cluster.ray`` entry, or ``remote`` given by a cluster
    node) only the hosts placed on this node are created here; spawning on another node's host
    and acting on its pids go through the :class:`~wippy.actors.remote.Remote`
    (:attr:`cluster`).
    """

    def __init__(
        self,
        registry: Registry | None = None,
        *,
        wasm: WasmRuntime | None = None,
        output: OutputRouter | None = None,
        default_stop_timeout: float = 5.0,
        engine: str | None = None,
        map_limit: int | None = None,
        stdin: int | None = None,
        remote: Remote | None = None,
    ) -> None:
        if remote is None and registry is not None:
            remote = remote_for(registry)
        self._remote = remote
        self._registry = registry
        self._programs = Programs(registry, wasm, engine)
        self._output: OutputRouter = output or write_through
        self._default_stop_timeout = default_stop_timeout
        self._table = ProcessTable()
        self._pids = PidAllocator(remote.first_pid if remote is not None else 1)
        self._pool = ThreadPool()
        self._timers = Timers()
        self._maps = MapBudget(map_limit)
        self._fuel = FuelMeters()
        self._lock = threading.RLock()
        self._exits = threading.Condition(threading.Lock())
        self._actors = 0  # process actors not yet closed, guarded by _exits
        self._exit_waiters = 0  # threads waiting on _exits (drain, stop): notify only then
        self._state = _State.RUNNING
        self._hosts: dict[str, Host] = {}
        self._host_list: list[Host] = []
        self._started_hosts: list[str] = []
        self._handles: dict[Pid, Process] = {}
        self._graces = KeyedTimers(self._timers)
        self._handle_host = remote.handle_host if remote is not None else HANDLE_HOST
        self._pid = self._pids.allocate(self._handle_host)
        self._terminal_input = None if stdin is None else TerminalInput(stdin)
        if registry is not None:
            from wippy.actors.from_registry import registry_hosts

            for entry in registry_hosts(registry):
                if remote is None or not remote.owns_host(entry.config.host_id):
                    self._add_host(entry.config, auto_start=entry.auto_start)
        if remote is not None:
            self._table.set_router(remote)
            try:
                remote.attach(self)
            except BaseException:
                self.stop()
                raise

    @property
    def cluster(self) -> Remote | None:
        """The cluster this runtime is a node of (``wippy.cluster.Cluster`` on the node that
        loaded the app), or None."""
        return self._remote

    @property
    def output(self) -> OutputRouter:
        """Where guest output goes."""
        return self._output

    @property
    def registry(self) -> Registry | None:
        """The registry this runtime was created with, if any."""
        return self._registry

    @property
    def table(self) -> ProcessTable:
        """The process table (routing between processes)."""
        return self._table

    @property
    def timers(self) -> Timers:
        """The runtime's timer thread (cancel graces, receive timeouts)."""
        return self._timers

    @property
    def stopped(self) -> bool:
        """True once :meth:`stop` has been called."""
        return self._state is not _State.RUNNING

    @property
    def pid(self) -> Pid:
        """The runtime's own pid: the sender of messages sent with :meth:`send`."""
        return self._pid

    def send(self, pid: Pid | str, topic: str, *payload: Any) -> bool:
        """Sends ``Message(topic, payload, rt.pid)`` to ``pid`` (or a registered name) from
        outside any process. False when ``pid`` is gone; UnknownNameError for an unknown name.
        """
        return self._table.deliver(self._table.resolve(pid), Message(topic, payload, self._pid))

    def lookup(self, name: str) -> Pid | None:
        """The live process registered as ``name``, or None."""
        return self._table.whereis(name)

    # -- hosts ------------------------------------------------------------------------------

    def add_host(
        self,
        host_id: str,
        workers: int = 16,
        queue_size: int = 1024,
        stop_timeout: float = 5.0,
        *,
        auto_start: bool = True,
        slice: float = 0.01,
    ) -> None:
        """Adds a host (started at once unless ``auto_start=False``); ``slice`` is how long a
        guest runs before it yields to the host's other runnable processes.

        Raises ValueError for a duplicate id or bad settings, RuntimeStoppedError once stopping.
        """
        self._add_host(HostConfig(host_id, workers, queue_size, stop_timeout, slice), auto_start)

    def _add_host(self, config: HostConfig, auto_start: bool) -> None:
        with self._lock:
            self._check_running()
            if config.host_id in self._hosts:
                raise ValueError(f"host {config.host_id!r} already exists")
            self._hosts[config.host_id] = Host(config, self._timers)
            self._host_list = list(self._hosts.values())
        if auto_start:
            self.start_host(config.host_id)

    def start_host(self, host_id: str) -> None:
        """Starts the host so processes can be spawned on it; no-op if running.

        Raises UnknownHostError, RuntimeStoppedError, or HostStoppedError while it is stopping.
        """
        if self._on_remote_host(host_id):
            assert self._remote is not None
            self._remote.host_call(host_id, "start")
            return
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
        """Stops the host: CANCEL to its processes (those that cannot see it end at once), up
        to ``stop_timeout`` s, then terminate.

        Spawning on it raises HostStoppedError from the moment this is called. Raises
        UnknownHostError. No-op when already stopped.
        """
        if self._on_remote_host(host_id):
            assert self._remote is not None
            self._remote.host_call(host_id, "stop")
            return
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
        """The host's state, its running, queued and runnable processes. Raises
        UnknownHostError."""
        if self._on_remote_host(host_id):
            assert self._remote is not None
            stats: HostStats = self._remote.host_call(host_id, "stats")
            return stats
        return self._host(host_id).stats()

    def _on_remote_host(self, host_id: str) -> bool:
        return (
            self._remote is not None
            and host_id not in self._hosts
            and self._remote.owns_host(host_id)
        )

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
            record = ProcessRecord(self._pids.allocate(self._handle_host), "handle")
            record.on_exit.append(self._on_exit)
            proc = Process(self, record, handle=True)
            self._handles[record.pid] = proc
            self._table.register(record)
        return proc

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

    def call(self, entry_id: str, *args: Any) -> Any:
        """Calls the ``function.wasm``/``function.wat`` entry ``entry_id`` with ``args`` on the
        calling thread and returns its result (its instances come from the entry's pool).

        Raises :class:`~wippy.actors.UnknownEntryError` (no such function entry),
        :class:`~wippy.actors.EntryLoadError`, the conversion's ``ArgumentError`` and the guest's
        ``GuestError``.
        """
        function = self._programs.function(
            entry_id,
            sink_for(self._output, self._pid, "stdout"),
            sink_for(self._output, self._pid, "stderr"),
        )
        return function.call(*args)

    def is_alive(self, pid: Pid | str) -> bool:
        """True while ``pid`` (or the process registered under a name) has not exited."""
        if isinstance(pid, str) and not pid.startswith("<"):
            found = self._table.whereis(pid)
            return found is not None and self._table.is_alive(found)
        return self._table.is_alive(self._table.resolve(pid))

    def stats(self) -> RuntimeStats:
        """Current table sizes (processes, monitor/link edges, handles, actors, timers, threads)
        and the main counters (spawns, exits by kind, messages, restarts and give-ups)."""
        table = self._table.stats()
        with self._lock:
            handles, timers = len(self._handles), len(self._graces)
        with self._exits:
            actors = self._actors
        counters = self.counters()
        return RuntimeStats(
            table.processes, table.monitors, table.links, handles, actors, timers,
            self._pool.running,
            spawns=sum(counters.spawns.values()),
            exits=counters.exits_by_kind(),
            messages=counters.messages,
            restarts=counters.reports(SUPERVISION, "restarted"),
            give_ups=counters.reports(SUPERVISION, "give_up"),
        )

    def counters(self) -> RuntimeCounters:
        """Everything counted since the runtime was created, in detail (by host, kind, error
        kind, supervisor and action; fuel by entry): see :class:`RuntimeCounters`."""
        return RuntimeCounters.of(self._table.counters(), self._fuel.totals())

    def processes(self) -> list[ProcessInfo]:
        """Every live process (handles included), in creation order, with its state now:
        see :class:`~wippy.actors.ProcessInfo`. A snapshot; cheap enough to poll every second."""
        return describe_all(self._table.records())

    # -- ProcessOps: what process handles ask -------------------------------------------------

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
            if starter is not None:
                return start_entry(
                    self, starter, entry_id, host_id, args,
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
        return self._spawn(host, "wasm", cost, make_body, parent, monitor, link, name, watches)

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

    def cancel(self, pid: Pid, reason: str, grace: float | None, sender: Pid) -> bool:
        """CANCEL for ``pid``, then terminated after ``grace`` s (default: its host's
        ``stop_timeout``); a process that cannot see a CANCEL ends at once (kind ``shutdown``,
        as an Erlang process that does not trap exits). False when ``pid`` is gone."""
        record = self._table.get(pid)
        if record is None:
            if self._remote is not None and self._remote.is_remote(pid):
                return self._remote.cancel(pid, reason, grace, sender)
            return False
        control = record.control
        if control is not None and not control.observes_cancel:
            error = ProcessError(SHUTDOWN_KIND, f"cancelled ({reason})")
            return self._table.kill(pid, error)
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

    def terminate(self, pid: Pid | str) -> bool:
        """Ends ``pid`` (or the process registered under a name) now (error kind
        ``terminated``); False when it is gone. Raises UnknownNameError for an unknown name."""
        pid = self._table.resolve(pid)
        if self._table.kill(pid, TERMINATED):
            return True
        return self._remote is not None and self._remote.is_remote(pid) and (
            self._remote.terminate(pid)
        )

    def close_handle(self, pid: Pid, error: ProcessError | None) -> None:
        """Exits the handle process ``pid`` normally or with ``error``."""
        self._table.exit(pid, error=error)

    def help(self) -> bool:
        """Runs one runnable process's slice on the calling thread (a handle waiting in
        ``receive``), on a host with a free worker; True when it ran one."""
        return any(host.queue.run_one() for host in self._host_list)

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

    def _on_exit(self, record: ProcessRecord) -> None:
        self._graces.drop(record.pid)
        if record.kind == "handle":
            with self._lock:
                self._handles.pop(record.pid, None)
        with self._exits:  # under the lock: a drain checking live() cannot miss this exit
            if self._exit_waiters:
                self._exits.notify_all()

    def _wait_exits(self, remaining: float) -> None:
        """Waits (``_exits`` held) until a process exits or closes, or ``remaining`` s pass."""
        self._exit_waiters += 1
        try:
            self._exits.wait(remaining)
        finally:
            self._exit_waiters -= 1

    def _drain(self, live: Callable[[], list[Pid]], grace: float, reason: str) -> None:
        """CANCELs the ``live`` processes (ending at once those that cannot see it), waits up
        to ``grace`` s, then terminates the rest."""
        error = ProcessError(SHUTDOWN_KIND, f"cancelled ({reason})")
        for pid in live():
            record = self._table.get(pid)
            control = record.control if record is not None else None
            if control is not None and not control.observes_cancel:
                self._table.kill(pid, error)
            else:
                self._table.deliver(pid, Event(CANCEL, pid, reason=reason))
        deadline = time.monotonic() + grace
        with self._exits:
            while live():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._wait_exits(remaining)
        for pid in live():
            if self._table.kill(pid, TERMINATED):
                logger.info("process %s terminated: it did not exit after CANCEL", pid)

    # -- lifetime -----------------------------------------------------------------------------

    def stop(self, join_timeout: float = 10.0) -> None:
        """Stops everything: hosts in reverse start order (CANCEL, grace, terminate), open
        handles, then waits (up to ``join_timeout`` s) until every process actor closed and every
        process thread ended, and stops the workers and timers.

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
        if self._remote is not None:
            try:
                self._remote.close()
            except Exception:
                logger.exception("stopping the cluster failed")
        for pid in self._table.pids():
            self._table.kill(pid, _SHUTDOWN)
        deadline = time.monotonic() + join_timeout
        own = 1 if _inside_process() else 0
        with self._exits:
            while self._actors > own:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    logger.warning("%d processes still closing after stop", self._actors - own)
                    break
                self._wait_exits(remaining)
        if not self._pool.join(max(0.0, deadline - time.monotonic())):
            logger.warning("%d process threads still running after stop", self._pool.running)
        self._pool.close()
        with self._lock:
            hosts = list(self._hosts.values())
        for host in hosts:
            host.queue.close(max(0.1, deadline - time.monotonic()))
        self._timers.close()
        self._graces.clear()
        if self._terminal_input is not None:
            self._terminal_input.close()
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


def _inside_process() -> bool:
    """True when called from a function process's own thread (``stop()`` from a process)."""
    return current_process() is not None
