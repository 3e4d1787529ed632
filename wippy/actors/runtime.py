"""The runtime: owns hosts, the process table, process actors, their threads and timers.

:class:`Runtime` is made of one part per concern, each a mixin in its own module: its hosts
(:mod:`.runtime_hosts`), spawning (:mod:`.runtime_spawn`), cancelling and terminating processes
(:mod:`.runtime_control`), stopping (:mod:`.runtime_stop`) and introspection
(:mod:`.runtime_stats`). This module puts them together with what ties them: construction, the
runtime's own pid, handles, and calls of function entries.
"""

from __future__ import annotations

import threading
from types import TracebackType
from typing import TYPE_CHECKING, Any

import wippy.actors.process_api  # noqa: F401 - offers wippy:process to every WasmRuntime
from wippy.actors.events import Message, ProcessError
from wippy.actors.host import Host
from wippy.actors.introspect import FuelMeters
from wippy.actors.limits import MapBudget
from wippy.actors.output import OutputRouter, sink_for, write_through
from wippy.actors.pid import Pid, PidAllocator
from wippy.actors.process import Process
from wippy.actors.programs import Programs
from wippy.actors.remote import Remote, remote_for
from wippy.actors.runtime_control import ProcessControl
from wippy.actors.runtime_hosts import HostManagement
from wippy.actors.runtime_spawn import Spawning
from wippy.actors.runtime_stats import Introspection, RuntimeStats
from wippy.actors.runtime_stop import RunState, Stopping
from wippy.actors.scheduler import ThreadPool
from wippy.actors.table import ProcessRecord, ProcessTable
from wippy.actors.terminal import TerminalInput
from wippy.timers import KeyedTimers, Timers

if TYPE_CHECKING:
    from wippy.config import Registry
    from wippy.wasm import WasmRuntime

__all__ = ["HANDLE_HOST", "Runtime", "RuntimeStats"]

HANDLE_HOST = "local"
"""The host name in the pids of :meth:`Runtime.process` handles (they run on no host)."""


class Runtime(HostManagement, Spawning, ProcessControl, Stopping, Introspection):
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
        self._state = RunState.RUNNING
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
    def pid(self) -> Pid:
        """The runtime's own pid: the sender of messages sent with :meth:`send`."""
        return self._pid

    def send(self, pid: Pid | str, topic: str, *payload: Any) -> bool:
        """Sends ``Message(topic, payload, rt.pid)`` to ``pid`` (or a registered name) from
        outside any process. False when ``pid`` is gone; UnknownNameError for an unknown name.
        """
        return self._table.deliver(self._table.resolve(pid), Message(topic, payload, self._pid))

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

    def close_handle(self, pid: Pid, error: ProcessError | None) -> None:
        """Exits the handle process ``pid`` normally or with ``error``."""
        self._table.exit(pid, error=error)

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

    def __enter__(self) -> Runtime:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

