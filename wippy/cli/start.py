"""`wippy start`: run the app, report what happens, stop it in order on a signal."""

from __future__ import annotations

import dataclasses
import logging
import math
import os
import re
import sys
import threading
import time
from typing import Any

from ..actors import EXIT, SHUTDOWN_KIND, SUPERVISION, Event, Pid, Process, SpawnError
from ..actors.output import write_through
from ..cluster import Cluster
from ..config import LoadResult, Registry
from ..supervisors import AppItem, AppRuntime, SupervisionReport, Supervisor, SupervisorError
from ..wasm import WasmRuntime
from .check import check_app, count, print_problems
from .nodes import cluster_rows, follow_nodes
from .signals import Signals, signal_name

log = logging.getLogger("wippy.cli")

POLL = 0.1
"""How often (s) the CLI looks for signals while no event arrives."""

_KIND_LABELS = {"process.supervisor": "supervisor", "process.service": "service"}


def start(loaded: LoadResult) -> int:
    """Checks the app as ``wippy check`` does and, when it has no problem, starts it and prints
    its processes and their events until it ends.

    A broken app is not started: its problems are printed as ``check`` prints them and the
    status is 1. SIGINT/SIGTERM stop the app in order (supervisors and services in reverse start
    order, then hosts) and return 0; a second signal while stopping exits at once with 130. When
    every supervisor and service has ended by itself, the app is stopped and the status is 0 if
    they all ended normally, else 1. Returns 1 when the app fails to start.
    """
    with WasmRuntime() as wasm:
        # Checking first also compiles every module (progress on a cold cache) and keeps
        # compilation out of the services' start timeouts.
        report = check_app(loaded, wasm)
        if print_problems(report.problems):
            print("wippy: the app was not started", file=sys.stderr)
            return 1
        return _start(report.registry, wasm)


def _start(registry: Registry, wasm: WasmRuntime) -> int:
    # Reports made while the app starts (before we can monitor its processes) come from the
    # log; from the moment they are monitored, from their SUPERVISION events.
    early = _EarlyReports()
    held = _HeldOutput()
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
                    _say("wippy: interrupted while starting; stopped")
                    return 0
                watch = _Watch(rt, rt.process())
                items = rt.app_status()
                for item in items:
                    watch.follow(item.pid, item.entry_id,
                                 supervisor=item.kind == "process.supervisor")
                reports.removeHandler(early)
                reports.setLevel(level)
                _print_started(rt, items)
                if isinstance(rt.cluster, Cluster):
                    follow_nodes(rt.cluster, _say, _now)
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

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._held: list[tuple[float, Pid, str, bytes]] = []
        self._holding = True

    def __call__(self, pid: Pid, stream: str, data: bytes) -> None:
        with self._lock:
            if self._holding:
                self._held.append((time.time(), pid, stream, data))
                return
        write_through(pid, stream, data)

    def release(self, shows: list[tuple[float, Any]]) -> None:
        """Writes the held output, merged by time with ``shows`` (``(time, print it)``), then
        lets output through."""
        with self._lock:  # guests writing meanwhile wait, so nothing overtakes what was held
            items: list[tuple[float, int, Any]] = [
                (at, 0, lambda p=pid, s=stream, d=data: write_through(p, s, d))
                for at, pid, stream, data in self._held]
            items += [(at, 1, show) for at, show in shows]
            for _, _, show in sorted(items, key=lambda item: (item[0], item[1])):
                show()
            self._held, self._holding = [], False


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


def _print_started(rt: AppRuntime, items: list[AppItem]) -> None:
    cluster = rt.cluster
    if isinstance(cluster, Cluster):
        rows, hosts, where = cluster_rows(cluster)
    else:
        rows = [("host", h, "", rt.host_stats(h).state.value) for h in rt.hosts]
        hosts, where = len(rt.hosts), ""
    rows += [(_KIND_LABELS.get(i.kind, i.kind), i.entry_id, str(i.pid), i.state) for i in items]
    widths = [max((len(row[c]) for row in rows), default=0) for c in range(3)]
    kinds = [i.kind for i in items]
    _say(f"wippy: app started: {count(kinds.count('process.supervisor'), 'supervisor')}, "
         f"{count(kinds.count('process.service'), 'service')}, {count(hosts, 'host')}{where}")
    for row in rows:
        _say("  " + "  ".join(f"{cell:<{widths[c]}}" for c, cell in enumerate(row[:3]))
             + "  " + row[3])
    _say("wippy: Ctrl-C or SIGTERM stops the app")


class _Watch:
    """Follows the app's top-level processes (and nested supervisors) through one handle and
    prints their EXIT and SUPERVISION events as they arrive."""

    def __init__(self, rt: AppRuntime, me: Process) -> None:
        self.rt = rt
        self.me = me
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

    def run(self, signals: Signals) -> int:
        """Prints events until the app ends or a signal stops it; returns the exit status."""
        while self.top_running():
            arrived = signals.take()
            if arrived:
                return self.stop_in_order(signals, arrived[0])
            self.next_event()
        _say("wippy: every supervisor and service has ended: stopping the app")
        self.rt.stop()
        _say("wippy: stopped")
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

    def stop_in_order(self, signals: Signals, signum: int) -> int:
        """Stops the app as :meth:`AppRuntime.stop` does, through our handle so that every
        event is shown: each supervisor and service in reverse start order (CANCEL, then its
        EXIT: they apply their own shutdown timeouts), then the hosts. A further signal exits
        at once (130). Returns 0."""
        _say(f"wippy: {signal_name(signum)}: stopping the app")
        for pid in reversed(self.top):
            if pid not in self.names:
                continue
            self.me.cancel(pid, reason="app stopping", grace=math.inf)
            while pid in self.names:
                for again in signals.take():
                    _say(f"wippy: {signal_name(again)} again: exiting without waiting")
                    os._exit(130)
                self.next_event()
        self.rt.stop()
        _say("wippy: stopped")
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
                outcome = f"failed: {error}"
            elif error is not None:
                outcome = f"shut down: {error.message}"
            else:
                outcome = "ok" if event.value is None else f"ok: {_short(event.value)}"
            _say(f"{_now(event.at)}  EXIT         {name} {event.pid}: {outcome}")
        elif (
            event.type == SUPERVISION
            and isinstance(event.value, SupervisionReport)
            and not any(event.value is shown for shown in self.early)  # not printed already
        ):
            self.show_report(event.value, event.at, event.pid)

    def show_report(self, report: SupervisionReport, at: float, pid: Pid | None = None) -> None:
        """Prints a report; notes a top-level give-up; follows a restarted child supervisor."""
        _say(f"{_now(at)}  SUPERVISION  {_text(report)}")
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


_ONE_CHILDREN = re.compile(r"\b1 children\b")


def _text(report: SupervisionReport) -> str:
    """A report as one line, with the count of children in the right number."""
    detail = _ONE_CHILDREN.sub("1 child", report.detail)
    return str(report if detail == report.detail else dataclasses.replace(report, detail=detail))


def _say(line: str) -> None:
    """Writes one whole line to stdout at once (process threads print too)."""
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def _now(at: float | None = None) -> str:
    stamp = time.time() if at is None else at
    return time.strftime("%H:%M:%S", time.localtime(stamp)) + f".{int(stamp % 1 * 1000):03d}"


def _short(value: Any, limit: int = 120) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
