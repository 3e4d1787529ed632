"""Workers and probes for the supervisor tests (ports of OTP's supervisor_SUITE)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from tests.actors.actor_helpers import wait_until
from wippy.actors import CANCEL, SUPERVISION, Event, Message, Pid, Process, Runtime, Shutdown
from wippy.supervisors import ChildInfo, SupervisionReport, Supervisor

HOST = "app:processes"


class Journal:
    """A thread-safe list of what workers did: ``(what, name)`` tuples in order."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.items: list[tuple[str, str]] = []

    def add(self, what: str, name: str) -> None:
        with self._lock:
            self.items.append((what, name))

    def of(self, what: str) -> list[str]:
        with self._lock:
            return [name for kind, name in self.items if kind == what]


def worker(proc: Process, journal: Journal, name: str, stop_delay: float = 0.0) -> Any:
    """Runs until told: message ``crash`` raises, ``exit`` returns, ``shutdown`` raises Shutdown.

    On CANCEL it records ``cancel``, waits ``stop_delay`` s, and returns ``"cancelled"``.
    """
    journal.add("start", name)
    while True:
        item = proc.receive()
        if isinstance(item, Event) and item.type == CANCEL:
            journal.add("cancel", name)
            if stop_delay:
                proc.receive(timeout=stop_delay, topic="never")
            journal.add("stop", name)
            return "cancelled"
        if isinstance(item, Message):
            if item.topic == "crash":
                raise RuntimeError(f"{name} crashed")
            if item.topic == "exit":
                return "done"
            if item.topic == "shutdown":
                raise Shutdown(f"{name} shut down")


def stubborn(proc: Process, journal: Journal, name: str) -> None:
    """Ignores CANCEL: only termination stops it."""
    journal.add("start", name)
    while True:
        item = proc.receive()
        if isinstance(item, Event) and item.type == CANCEL:
            journal.add("cancel", name)


def pid_of(sup: Supervisor, child_id: str) -> Pid:
    """The running pid of a child (fails the test if it is not running)."""
    for info in sup.which_children():
        if info.id == child_id:
            assert info.pid is not None, info
            return info.pid
    raise AssertionError(f"no child {child_id}")


def pids(sup: Supervisor) -> dict[str, Pid | None]:
    """Child id -> pid (None when not running)."""
    return {info.id: info.pid for info in sup.which_children()}


def send(rt: Runtime, pid: Pid, topic: str) -> None:
    """Sends a bare message; fails the test when ``pid`` is gone."""
    assert rt.send(pid, topic), f"{pid} is not running"


def crash_and_wait(rt: Runtime, sup: Supervisor, child_id: str, topic: str = "crash") -> Pid:
    """Makes a child exit via ``topic`` and waits for its replacement; returns the new pid."""
    old = pid_of(sup, child_id)
    send(rt, old, topic)
    wait_until(lambda: pids(sup).get(child_id) not in (None, old))
    new = pids(sup)[child_id]
    assert new is not None
    return new


def reports(
    proc: Process, until: Callable[[SupervisionReport], bool], timeout: float = 10.0
) -> list[SupervisionReport]:
    """Collects SUPERVISION reports received by ``proc`` up to the first one ``until`` accepts."""
    found: list[SupervisionReport] = []
    deadline = time.monotonic() + timeout
    while True:
        item = proc.receive(
            timeout=max(0.0, deadline - time.monotonic()),
            match=lambda i: isinstance(i, Event) and i.type == SUPERVISION,
        )
        assert item is not None, f"no matching report; got {[str(r) for r in found]}"
        assert isinstance(item, Event) and isinstance(item.value, SupervisionReport)
        found.append(item.value)
        if until(item.value):
            return found


def exit_of(proc: Process, pid: Pid, timeout: float = 10.0) -> Event:
    """Waits for the EXIT event of ``pid`` (monitored by ``proc``), skipping other items."""
    item = proc.receive(
        timeout=timeout, match=lambda i: isinstance(i, Event) and i.type == "EXIT" and i.pid == pid
    )
    assert isinstance(item, Event), f"no EXIT from {pid} within {timeout}s"
    return item


def still_running(proc: Process, sup: Supervisor) -> list[ChildInfo]:
    """Checks that ``sup`` has finished reacting to what reached it so far and did not exit.

    A supervisor answers a call only after the events queued before it, so the reply to
    ``which_children`` proves it is done with them (an exit it decided on has happened by then);
    ``proc``, which must monitor ``sup``, then holds no EXIT of it. Returns the children.
    """
    children = sup.which_children()
    gone = proc.receive(
        timeout=0,
        match=lambda i: isinstance(i, Event) and i.type == "EXIT" and i.pid == sup.pid,
    )
    assert gone is None, f"the supervisor exited: {gone}"
    return children


@contextmanager
def captured_reports() -> Iterator[list[str]]:
    """Collects the ``wippy.supervisors`` log lines written inside the block."""
    lines: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(record.getMessage())

    handler = Collect(level=logging.DEBUG)
    logger = logging.getLogger("wippy.supervisors")
    old_level = logger.level
    logger.setLevel(logging.DEBUG)
    logger.addHandler(handler)
    try:
        yield lines
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)
