"""The runtime's hosts: adding, starting and stopping them, their stats, and finding the host a
process runs on (here, or on another node of the cluster)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from wippy.actors.errors import HostStoppedError, UnknownHostError
from wippy.actors.host import Host, HostConfig, HostState, HostStats
from wippy.actors.pid import Pid
from wippy.actors.remote import Remote
from wippy.actors.table import ProcessTable
from wippy.timers import Timers

logger = logging.getLogger(__name__)


class HostManagement:
    """Mixin of :class:`~wippy.actors.Runtime`: its hosts (the runtime's lock guards them)."""

    _lock: threading.RLock
    _hosts: dict[str, Host]
    _host_list: list[Host]
    _started_hosts: list[str]
    _remote: Remote | None
    _table: ProcessTable
    _timers: Timers

    if TYPE_CHECKING:

        def _check_running(self) -> None: ...

        def _drain(self, live: Callable[[], list[Pid]], grace: float, reason: str) -> None: ...

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

    def help(self) -> bool:
        """Runs one runnable process's slice on the calling thread (a handle waiting in
        ``receive``), on a host with a free worker; True when it ran one."""
        return any(host.queue.run_one() for host in self._host_list)
