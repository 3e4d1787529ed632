"""`wippy start`: run the app, report what happens, stop it in order on a signal or on
`wippy stop`; serve its control socket and, when asked, its Prometheus metrics."""

from __future__ import annotations

import logging
import math
import os
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..actors import EXIT, SHUTDOWN_KIND, SUPERVISION, Event, Pid, Process, SpawnError
from ..cluster import Cluster
from ..config import LoadResult, Registry
from ..supervisors import AppItem, AppRuntime, SupervisionReport, Supervisor, SupervisorError
from ..wasm import WasmRuntime
from .check import check_app, count, print_problems
from .events import EventLog, python_output
from .nodes import cluster_rows, follow_nodes
from .serve import Serving
from .signals import Signals, signal_name

log = logging.getLogger("wippy.cli")

POLL = 0.1
"""How often (s) the CLI looks for signals while no event arrives."""

_KIND_LABELS = {"process.supervisor": "supervisor", "process.service": "service"}


@dataclass(frozen=True)
class StartOptions:
    """How ``wippy start`` serves the app: its control socket (None: none), its metrics
    address (None: none) and the format of what it prints (``text`` or ``json``)."""

    control: Path | None = None
    metrics: tuple[str, int] | None = None
    log_format: str = "text"


def start(loaded: LoadResult, options: StartOptions | None = None) -> int:
    """Checks the app as ``wippy check`` does and, when it has no problem, starts it and prints
    its processes and their events until it ends.

    A broken app is not started: its problems are printed as ``check`` prints them and the
    status is 1. SIGINT/SIGTERM stop the app in order (supervisors and services in reverse start
    order, then hosts) and return 0; a second signal while stopping exits at once with 130. When
    every supervisor and service has ended by itself, the app is stopped and the status is 0 if
    they all ended normally, else 1. Returns 1 when the app fails to start, or when its control
    socket or metrics address cannot be had (another ``wippy start`` runs the app, say).
    """
    options = options or StartOptions()
    log_ = EventLog(options.log_format)
    # The control socket and metrics address first: a second start of a running app is
    # refused before anything is compiled or started.
    serving = Serving.open(options.control, options.metrics, str(loaded.registry.root))
    if serving is None:
        return 1
    try:
        with WasmRuntime() as wasm, python_output(log_):
            # Checking first also compiles every module (progress on a cold cache) and keeps
            # compilation out of the services' start timeouts.
            report = check_app(loaded, wasm)
            if print_problems(report.problems):
                print("wippy: the app was not started", file=sys.stderr)
                return 1
            return _start(report.registry, wasm, log_, serving)
    finally:
        serving.close()


def _start(registry: Registry, wasm: WasmRuntime, log_: EventLog, serving: Serving) -> int:
    # Reports made while the app starts (before we can monitor its processes) come from the
    # log; from the moment they are monitored, from their SUPERVISION events.
    early = _EarlyReports()
    held = _HeldOutput(log_)
    reports = logging.getLogger("wippy.supervisors")
    level = reports.level
    reports.setLevel(logging.DEBUG)  # the handler of main() still filters what it shows
    reports.addHandler(early)
    try:
        with Signals() as signals:
            try:
                rt = AppRuntime(registry, wasm=wasm, output=held)
            except (SupervisorError, SpawnError) as exc:
                held.release([])
                print(f"wippy: the app failed to start: {exc}", file=sys.stderr)
                return 1
            try:
                if signals.take():
                    rt.stop()
                    held.release([])
                    log_.note("wippy: interrupted while starting; stopped")
                    return 0
                watch = _Watch(rt, rt.process(), log_)
                serving.attach(rt, watch.request_stop)
                items = rt.app_status()
                for item in items:
                    watch.follow(item.pid, item.entry_id,
                                 supervisor=item.kind == "process.supervisor")
                reports.removeHandler(early)
                reports.setLevel(level)
                _print_started(rt, items, log_, serving)
                if isinstance(rt.cluster, Cluster):
                    follow_nodes(rt.cluster, log_)
                # What happened while the app started, in order: reports and guest output.
                held.release([(created, lambda r=report, c=created: watch.show_report(r, c))
                              for created, report in early.reports])
                watch.early = [report for _, report in early.reports]
                return watch.run(signals)
            finally:
                rt.stop()  # idempotent: already done on every normal path
    finally:
        reports.removeHandler(early)
        reports.setLevel(level)


class _HeldOutput:
    """The app's output router: holds what guests write while the app starts, so that the table
    of what runs comes first, then writes it through as it comes."""

    def __init__(self, log_: EventLog) -> None:
        self._lock = threading.Lock()
        self._held: list[tuple[float, Pid, str, bytes]] = []
        self._holding = True
        self._log = log_

    def __call__(self, pid: Pid, stream: str, data: bytes) -> None:
        with self._lock:
            if self._holding:
                self._held.append((time.time(), pid, stream, data))
                return
        self._log.output(pid, stream, data)

    def release(self, shows: list[tuple[float, Any]]) -> None:
        """Writes the held output, merged by time with ``shows`` (``(time, print it)``), then
        lets output through."""
        with self._lock:  # guests writing meanwhile wait, so nothing overtakes what was held
            out = self._log.output
            items: list[tuple[float, int, Any]] = [
                (at, 0, lambda p=pid, s=stream, d=data, a=at: out(p, s, d, a))
                for at, pid, stream, data in _whole_lines(self._held)]
            items += [(at, 1, show) for at, show in shows]
            for _, _, show in sorted(items, key=lambda item: (item[0], item[1])):
                show()
            self._held, self._holding = [], False


def _whole_lines(
    held: list[tuple[float, Pid, str, bytes]],
) -> list[tuple[float, Pid, str, bytes]]:
    """The held output with each guest's partial lines joined to what completes them (at the
    time of their start), so that a report merged in by time cannot split a line."""
    merged: list[tuple[float, Pid, str, bytes]] = []
    open_lines: dict[tuple[Pid, str], int] = {}  # (pid, stream) -> index of its partial line
    for at, pid, stream, data in held:
        index = open_lines.pop((pid, stream), None)
        if index is None:
            merged.append((at, pid, stream, data))
            index = len(merged) - 1
        else:
            first, _, _, start = merged[index]
            merged[index] = (first, pid, stream, start + data)
        if not merged[index][3].endswith(b"\n"):
            open_lines[(pid, stream)] = index
    return merged


class _EarlyReports(logging.Handler):
    """Collects the supervisors' reports logged while the app starts, printed once it has."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.reports: list[tuple[float, SupervisionReport]] = []

    def emit(self, record: logging.LogRecord) -> None:
        """Keeps a supervisor's report (the object it also sends its monitors)."""
        if isinstance(record.args, tuple) and record.args and isinstance(
            record.args[0], SupervisionReport
        ):
            self.reports.append((record.created, record.args[0]))


def _print_started(rt: AppRuntime, items: list[AppItem], log_: EventLog,
                   serving: Serving) -> None:
    cluster = rt.cluster
    if isinstance(cluster, Cluster):
        rows, hosts, where = cluster_rows(cluster)
    else:
        rows = [("host", h, "", rt.host_stats(h).state.value) for h in rt.hosts]
        hosts, where = len(rt.hosts), ""
    rows += [(_KIND_LABELS.get(i.kind, i.kind), i.entry_id, str(i.pid), i.state) for i in items]
    kinds = [i.kind for i in items]
    log_.app_started(
        f"wippy: app started: {count(kinds.count('process.supervisor'), 'supervisor')}, "
        f"{count(kinds.count('process.service'), 'service')}, {count(hosts, 'host')}{where}",
        rows,
    )
    for line, fields in serving.describe():
        log_.note(line, **fields)
    log_.note("wippy: Ctrl-C or SIGTERM stops the app")


class _Watch:
    """Follows the app's top-level processes (and nested supervisors) through one handle and
    prints their EXIT and SUPERVISION events as they arrive."""

    def __init__(self, rt: AppRuntime, me: Process, log_: EventLog) -> None:
        self.rt = rt
        self.me = me
        self.log = log_
        self._stop_requested = threading.Event()
        self._stopping = False
        self.names: dict[Pid, str] = {}
        self.top: dict[Pid, str] = {}  # the app's own items: the app ends when they all have
        self.failed = False
        self.early: list[SupervisionReport] = []  # reports logged while the app started

    def follow(self, pid: Pid, name: str, *, supervisor: bool, top: bool = True) -> None:
        """Monitors ``pid`` (and, for a supervisor, its running child supervisors)."""
        self.names[pid] = name
        if top:
            self.top[pid] = name
        self.me.monitor(pid)
        if supervisor:
            self._follow_children(pid, name)

    def _follow_children(self, pid: Pid, name: str) -> None:
        try:
            children = Supervisor(self.rt, pid, name).which_children(timeout=5.0)
        except SupervisorError as exc:
            log.info("cannot list the children of %s: %s", name, exc)
            return
        for child in children:
            if child.type == "supervisor" and child.pid is not None:
                self.follow(child.pid, f"{name}/{child.id}", supervisor=True, top=False)

    def request_stop(self) -> str:
        """Asks the watch loop for the ordered shutdown (``wippy stop``; any thread); says
        what happens."""
        if self._stopping:
            return "already stopping"
        self._stop_requested.set()
        return "stopping"

    def run(self, signals: Signals) -> int:
        """Prints events until the app ends or a signal stops it; returns the exit status."""
        while self.top_running():
            arrived = signals.take()
            if arrived:
                name = signal_name(arrived[0])
                return self.stop_in_order(signals, name, name)
            if self._stop_requested.is_set():
                return self.stop_in_order(signals, "stop requested (`wippy stop`)", "wippy stop")
            self.next_event()
        self._stopping = True
        self.log.note("wippy: every supervisor and service has ended: stopping the app")
        self.rt.stop()
        self.log.note("wippy: stopped")
        return 1 if self.failed else 0

    def top_running(self) -> bool:
        """True while some supervisor or service of the app has not reported its EXIT (an app
        of hosts only runs until stopped)."""
        return not self.top or any(pid in self.names for pid in self.top)

    def next_event(self) -> None:
        """Prints the next event, if one arrives within :data:`POLL`."""
        item = self.me.receive(timeout=POLL)
        if isinstance(item, Event):
            self.show(item)

    def stop_in_order(self, signals: Signals, why: str, reason: str) -> int:
        """Stops the app as :meth:`AppRuntime.stop` does, through our handle so that every
        event is shown: each supervisor and service in reverse start order (CANCEL, then its
        EXIT: they apply their own shutdown timeouts), then the hosts. A further signal exits
        at once (130). ``why`` is printed, ``reason`` is the JSON log's field. Returns 0."""
        self._stopping = True
        self.log.note(f"wippy: {why}: stopping the app", reason=reason)
        for pid in reversed(self.top):
            if pid not in self.names:
                continue
            self.me.cancel(pid, reason="app stopping", grace=math.inf)
            while pid in self.names:
                for again in signals.take():
                    self.log.note(f"wippy: {signal_name(again)} again: exiting without waiting")
                    os._exit(130)
                self.next_event()
        self.rt.stop()
        self.log.note("wippy: stopped")
        return 0

    def show(self, event: Event) -> None:
        """Prints an EXIT of a followed process or a supervisor's report."""
        if event.type == EXIT:
            name = self.names.pop(event.pid, None)
            if name is None:
                return
            error = event.error
            if error is not None and error.kind != SHUTDOWN_KIND:
                self.failed = self.failed or event.pid in self.top  # nested: its parent's call
            self.log.exit(name, event)
        elif (
            event.type == SUPERVISION
            and isinstance(event.value, SupervisionReport)
            and not any(event.value is shown for shown in self.early)  # not printed already
        ):
            self.show_report(event.value, event.at, event.pid)

    def show_report(self, report: SupervisionReport, at: float, pid: Pid | None = None) -> None:
        """Prints a report; notes a top-level give-up; follows a restarted child supervisor."""
        self.log.report(report, at)
        if report.action == "give_up" and report.supervisor in self.top.values():
            self.failed = True  # it then exits with kind "shutdown", as in OTP
        if report.action == "restarted" and pid is not None and report.child_pid is not None:
            self._follow_restarted(pid, report)

    def _follow_restarted(self, supervisor: Pid, report: SupervisionReport) -> None:
        name = self.names.get(supervisor)
        if name is None or report.child_pid is None:
            return
        try:
            children = Supervisor(self.rt, supervisor, name).which_children(timeout=5.0)
        except SupervisorError:
            return
        for child in children:
            if child.pid == report.child_pid and child.type == "supervisor":
                self.follow(child.pid, f"{name}/{child.id}", supervisor=True, top=False)
