"""Prometheus metrics of a running app, served by the official client library.

A :class:`RuntimeCollector` reads the runtime at each scrape (``rt.processes()``, the hosts'
schedulers, ``rt.counters()``): nothing is added to the runtime's hot paths. The metric names
(all ``wippy_``-prefixed, counters ending in ``_total``) are listed in :data:`METRICS` and in
the README.
"""

from __future__ import annotations

import ipaddress
import logging
import threading
from collections import Counter
from collections.abc import Iterator
from wsgiref.simple_server import WSGIServer

from prometheus_client import CollectorRegistry, start_http_server
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from wippy.actors import STATES, SUPERVISION, Runtime

log = logging.getLogger(__name__)

METRICS = {
    "wippy_processes": "Live processes by host, process type and state.",
    "wippy_mailbox_messages": "Messages and events waiting in mailboxes, by host.",
    "wippy_spawns_total": "Processes spawned, by host and process type.",
    "wippy_exits_total": "Process exits by host, process type and error kind (normal: none).",
    "wippy_messages_sent_total": "Messages delivered to mailboxes.",
    "wippy_supervisor_restarts_total": "Children restarted, by supervisor or service.",
    "wippy_supervisor_give_ups_total": "Times a supervisor or service gave up, by name.",
    "wippy_supervision_reports_total": "Supervision reports by supervisor and action.",
    "wippy_run_queue_depth": "Processes waiting for a worker in the host's run queue.",
    "wippy_host_starting": "Spawned processes not started yet, by host.",
    "wippy_workers": "Worker permits of the host.",
    "wippy_workers_busy": "Worker permits in use now.",
    "wippy_worker_threads": "Worker threads alive.",
    "wippy_worker_busy_seconds_total": "Seconds the host's workers spent running slices.",
    "wippy_guest_fuel_used_total": "Fuel used by guests of entries with a fuel limit.",
    "wippy_guest_memory_bytes": "Linear memory of live guests of entries with a memory limit.",
}
"""Every metric served, with its help text."""


def _gauge(name: str, labels: list[str]) -> GaugeMetricFamily:
    """An empty gauge family of ``name`` (help from :data:`METRICS`)."""
    return GaugeMetricFamily(name, METRICS[name], labels=labels)


def _counter(name: str, labels: list[str]) -> CounterMetricFamily:
    """An empty counter family of ``name`` (served as ``name``, ending in ``_total``)."""
    return CounterMetricFamily(name.removesuffix("_total"), METRICS[name], labels=labels)


class RuntimeCollector(Collector):
    """Builds every metric of :data:`METRICS` from ``rt`` at each scrape (none until it has a
    runtime: see :attr:`rt`)."""

    def __init__(self, rt: Runtime | None) -> None:
        self.rt = rt

    def collect(self) -> Iterator[Metric]:
        rt = self.rt
        if rt is None:
            return
        counters = rt.counters()
        states: Counter[tuple[str, str, str]] = Counter()
        mailboxes: Counter[str] = Counter()
        memory: Counter[str] = Counter()
        for info in rt.processes():
            states[(info.host, info.kind, info.state)] += 1
            mailboxes[info.host] += info.mailbox
            if info.memory_bytes is not None and info.entry is not None:
                memory[info.entry] += info.memory_bytes
        processes = _gauge("wippy_processes", ["host", "type", "state"])
        kinds = {(host, kind) for host, kind, _ in states} | set(counters.spawns)
        for host, kind in sorted(kinds):
            for state in STATES:  # every state, zeros too, so that rates and sums line up
                processes.add_metric([host, kind, state], states[(host, kind, state)])
        yield processes
        waiting = _gauge("wippy_mailbox_messages", ["host"])
        for host, n in sorted(mailboxes.items()):
            waiting.add_metric([host], n)
        yield waiting
        spawns = _counter("wippy_spawns_total", ["host", "type"])
        for (host, kind), n in sorted(counters.spawns.items()):
            spawns.add_metric([host, kind], n)
        yield spawns
        exits = _counter("wippy_exits_total", ["host", "type", "kind"])
        for (host, kind, error), n in sorted(counters.exits.items()):
            exits.add_metric([host, kind, error], n)
        yield exits
        sent = _counter("wippy_messages_sent_total", [])
        sent.add_metric([], counters.messages)
        yield sent
        yield from self._supervision(counters.notifications)
        yield from self._hosts(rt)
        fuel = _counter("wippy_guest_fuel_used_total", ["entry"])
        for entry, n in sorted(counters.fuel.items()):
            fuel.add_metric([entry], n)
        yield fuel
        mem = _gauge("wippy_guest_memory_bytes", ["entry"])
        for entry, n in sorted(memory.items()):
            mem.add_metric([entry], n)
        yield mem

    @staticmethod
    def _supervision(notifications: dict[tuple[str, str, str], int]) -> Iterator[Metric]:
        restarts = _counter("wippy_supervisor_restarts_total", ["supervisor"])
        give_ups = _counter("wippy_supervisor_give_ups_total", ["supervisor"])
        reports = _counter("wippy_supervision_reports_total", ["supervisor", "action"])
        for (source, event_type, action), n in sorted(notifications.items()):
            if event_type != SUPERVISION:
                continue
            reports.add_metric([source, action], n)
            if action == "restarted":
                restarts.add_metric([source], n)
            elif action == "give_up":
                give_ups.add_metric([source], n)
        yield from (restarts, give_ups, reports)

    @staticmethod
    def _hosts(rt: Runtime) -> Iterator[Metric]:
        depth = _gauge("wippy_run_queue_depth", ["host"])
        starting = _gauge("wippy_host_starting", ["host"])
        workers = _gauge("wippy_workers", ["host"])
        busy = _gauge("wippy_workers_busy", ["host"])
        threads = _gauge("wippy_worker_threads", ["host"])
        busy_time = _counter("wippy_worker_busy_seconds_total", ["host"])
        for host_id, config in sorted(rt.hosts.items()):
            stats = rt.host_stats(host_id)
            depth.add_metric([host_id], stats.runnable)
            starting.add_metric([host_id], stats.queued)
            workers.add_metric([host_id], config.workers)
            busy.add_metric([host_id], stats.running)
            threads.add_metric([host_id], stats.threads)
            busy_time.add_metric([host_id], stats.busy_seconds)
        yield from (depth, starting, workers, busy, threads, busy_time)


def parse_address(text: str) -> tuple[str, int]:
    """``HOST:PORT`` (``[::1]:PORT`` for IPv6; port 0 picks a free one) as ``(host, port)``.

    Raises ValueError with a message that says what is wrong.
    """
    host, sep, port_text = text.rpartition(":")
    if not sep or not host:
        raise ValueError(f"--metrics {text!r}: expected HOST:PORT, such as 127.0.0.1:9464")
    host = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    if not port_text.isdigit() or not 0 <= int(port_text) <= 65535:
        raise ValueError(f"--metrics {text!r}: the port must be a number from 0 to 65535")
    if host != "localhost":
        try:
            ipaddress.ip_address(host)
        except ValueError:
            raise ValueError(
                f"--metrics {text!r}: {host!r} is not an IP address (or localhost)"
            ) from None
    return host, int(port_text)


class MetricsServer:
    """Serves ``/metrics`` for ``rt`` (or, from :meth:`attach`, a runtime given later) on
    ``address`` from a thread until :meth:`close`.

    Raises OSError when the address cannot be bound (in use, not local).
    """

    def __init__(self, rt: Runtime | None, address: tuple[str, int]) -> None:
        registry = CollectorRegistry(auto_describe=False)
        self._collector = RuntimeCollector(rt)
        registry.register(self._collector)
        self._server: WSGIServer | None
        self._server, self._thread = start_http_server(address[1], address[0], registry)
        self.port: int = self._server.server_port
        self.host = address[0]
        log.info("metrics at http://%s:%d/metrics", self.host, self.port)

    def attach(self, rt: Runtime) -> None:
        """Serves the metrics of ``rt`` from now on."""
        self._collector.rt = rt

    @property
    def url(self) -> str:
        """Where the metrics are served."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/metrics"

    def close(self) -> None:
        """Stops serving. Idempotent."""
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        thread: threading.Thread = self._thread
        thread.join(5.0)
