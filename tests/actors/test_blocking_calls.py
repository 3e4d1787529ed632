"""Processes waiting in WASI calls: side by side, terminated, cancelled and timed out.

Each kind of wait is tested on a real guest: a preview 1 sleep (``poll_oneoff``, which suspends
the guest on its fiber), a preview 2 sleep (through the component adapter, on a thread of its
own), a blocking read of a named pipe in preview 1 (blocks its worker) and 2, and a wasi:http
request to a slow server on 127.0.0.1. Bounds are generous: they tell "at once" from "when the
call returns", not milliseconds.
"""

from __future__ import annotations

import http.server
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import AppWriter
from tests.loopback import serving
from wippy import load
from wippy.actors import EXIT, Event, Process, Runtime

P2 = ["wasi:cli", "wasi:clocks", "wasi:filesystem", "wasi:random", "wasi:http", "wasi:sockets"]
HOST = "test:many"


class SlowHandler(http.server.BaseHTTPRequestHandler):
    """GET /<seconds>: answers 200 with body ``ok`` after that many seconds."""

    def do_GET(self) -> None:
        try:
            time.sleep(float(self.path.strip("/") or 0))
        except ValueError:
            self.send_error(400)
            return
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: Any) -> None:
        pass


class SlowServer(http.server.ThreadingHTTPServer):
    request_queue_size = 1024
    daemon_threads = True


@pytest.fixture(scope="module")
def slow_server() -> Iterator[str]:
    """Base URL of a slow HTTP server on 127.0.0.1 (``/<seconds>`` delays the answer)."""
    with serving(SlowHandler, SlowServer, "slow-http") as url:
        yield url


@dataclass
class App:
    path: Path
    fifo: Path

    def release_fifo(self) -> None:
        """Opens the pipe for writing and closes it: a blocked reader gets end-of-file."""
        fd = os.open(self.fifo, os.O_WRONLY | os.O_NONBLOCK)
        os.close(fd)


@pytest.fixture
def app(write_app: AppWriter, tmp_path: Path) -> App:
    data = tmp_path / "data"
    data.mkdir()
    fifo = data / "fifo"
    os.mkfifo(fifo)
    mount = {"mounts": [{"fs": "test:data", "guest": "/data"}]}

    def wasm(name: str, path: str, method: str, imports: list[str], **fields: Any) -> Any:
        return {"name": name, "kind": "process.wasm", "path": path, "method": method,
                "imports": imports, **fields}

    def limited(entry: dict[str, Any]) -> dict[str, Any]:
        return {**entry, "name": entry["name"] + "_300ms", "limits": {"max_execution_ms": 300}}

    entries = [
        wasm("p1_sleep", "wasi_c_reactor.wasm", "sleep_ms", ["wasi:cli", "wasi:clocks"]),
        wasm("p1_read", "wasi_c.wasm", "_start", ["wasi:cli", "wasi:clocks", "wasi:filesystem"],
             wasi={"args": ["cat", "/data/fifo"], **mount}),
        wasm("p2_sleep", "wasi_p2.wasm", "sleep-ms", P2),
        wasm("p2_read", "wasi_p2.wasm", "read-count", P2, wasi=mount),
        wasm("http", "wasi_p2.wasm", "http-get", P2),
    ]
    path = write_app(
        {"name": "data", "kind": "fs.directory", "directory": str(data)},
        {"name": "many", "kind": "process.host", "host": {"workers": 8, "queue_size": 1000},
         "lifecycle": {"auto_start": True}},
        *entries,
        *(limited(e) for e in entries),
    )
    return App(path, fifo)


def call_args(kind: str, url: str, seconds: float) -> list[Any]:
    """Arguments that make ``kind`` block for about ``seconds`` (reads block until released)."""
    args: dict[str, list[Any]] = {
        "p1_sleep": [int(seconds * 1000)],
        "p2_sleep": [int(seconds * 1000)],
        "p1_read": [],
        "p2_read": ["/data/fifo"],
        "http": [f"{url}/{seconds}"],
    }
    return args[kind]


KINDS = ["p1_sleep", "p2_sleep", "p1_read", "p2_read", "http"]


def receive_exits(me: Process, count: int, timeout: float) -> dict[Any, Event]:
    exits: dict[Any, Event] = {}
    deadline = time.monotonic() + timeout
    while len(exits) < count:
        event = me.receive(timeout=max(0.0, deadline - time.monotonic()))
        assert event is not None, f"only {len(exits)} of {count} exits within {timeout}s"
        assert isinstance(event, Event) and event.type == EXIT, event
        exits[event.pid] = event
    return exits


def holding(rt: Runtime) -> int:
    """Workers in use plus threads of blocking bodies: what waiting processes hold."""
    return rt.host_stats(HOST).running + rt.stats().threads


def wait_for(condition: Callable[[], bool], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"not within {timeout}s"
        time.sleep(0.005)


def test_500_sleeping_guests_on_8_workers_take_about_one_sleep(app: App) -> None:
    with load(app.path) as rt, rt.process() as me:
        started = time.monotonic()
        pids = {me.spawn_monitored("test:p1_sleep", HOST, 1000) for _ in range(500)}
        exits = receive_exits(me, 500, timeout=60)
        elapsed = time.monotonic() - started
    assert set(exits) == pids
    assert all(exits[p].value == 1000 and exits[p].error is None for p in pids)
    # With a thread per sleeper held, 8 workers would take 500 / 8 s.
    assert elapsed < 10, elapsed


def test_sleeping_guests_hold_no_worker_and_no_thread(app: App) -> None:
    """While 500 guests sleep, the host's 8 workers are free: a Python process spawned after
    them runs and exits while every sleeper is still asleep."""
    with load(app.path) as rt, rt.process() as me:
        pids = [me.spawn_monitored("test:p1_sleep", HOST, 60_000) for _ in range(500)]
        wait_for(lambda: rt.host_stats(HOST).queued == 0, 30)  # all instantiated and waiting
        wait_for(lambda: holding(rt) == 0, 10)
        quick = me.spawn_function(lambda proc: "quick", HOST, monitor=True)
        event = me.receive(timeout=10)
        assert isinstance(event, Event) and event.pid == quick and event.value == "quick"
        assert all(rt.is_alive(pid) for pid in pids)
        for pid in pids:
            me.terminate(pid)
        exits = receive_exits(me, 500, timeout=10)
        assert all(e.error is not None and e.error.kind == "terminated" for e in exits.values())
        wait_for(lambda: rt.stats().actors == 0, 10)  # every fiber dropped


def test_500_guests_waiting_on_a_slow_http_server_take_about_one_wait(
    app: App, slow_server: str
) -> None:
    with load(app.path) as rt, rt.process() as me:
        started = time.monotonic()
        pids = {me.spawn_monitored("test:http", HOST, f"{slow_server}/1") for _ in range(500)}
        exits = receive_exits(me, 500, timeout=60)
        elapsed = time.monotonic() - started
    assert set(exits) == pids
    assert all(e.value == {"ok": {"status": 200, "body-length": 2}} for e in exits.values()), [
        e for e in exits.values() if e.error is not None
    ][:3]
    assert elapsed < 10, elapsed


@pytest.mark.parametrize("kind", KINDS)
def test_terminate_of_a_blocked_guest_exits_at_once(
    app: App, slow_server: str, kind: str
) -> None:
    """Monitors get EXIT at once. A preview 1 sleep holds nothing while it waits, and its fiber
    is dropped at once; a preview 1 read holds its worker and the others their own thread until
    the call returns."""
    with load(app.path) as rt, rt.process() as me:
        pid = me.spawn_monitored(f"test:{kind}", HOST, *call_args(kind, slow_server, 2.0))
        time.sleep(0.5)  # well inside the call
        assert holding(rt) == (0 if kind == "p1_sleep" else 1)
        asked = time.monotonic()
        assert me.terminate(pid)
        event = me.receive(timeout=5)
        exit_after = time.monotonic() - asked
        assert isinstance(event, Event) and event.type == EXIT and event.pid == pid
        assert event.error is not None and event.error.kind == "terminated"
        assert exit_after < 0.5, exit_after
        if kind.endswith("_read"):
            time.sleep(0.3)
            assert holding(rt) == 1  # still in the read
            app.release_fifo()
        while rt.stats().actors > 0 and time.monotonic() - asked < 10:
            time.sleep(0.005)
        free_after = time.monotonic() - asked
    if kind == "p1_sleep":
        assert free_after < 0.5, free_after
    else:  # the call had to return first: the 2 s wait, or the pipe released at 0.3 s
        assert (0.25 if kind.endswith("_read") else 1.0) < free_after < 5, free_after


@pytest.mark.parametrize("kind", KINDS)
def test_max_execution_covers_time_spent_waiting(
    app: App, slow_server: str, kind: str
) -> None:
    with load(app.path) as rt, rt.process() as me:
        started = time.monotonic()
        pid = me.spawn_monitored(f"test:{kind}_300ms", HOST, *call_args(kind, slow_server, 1.5))
        event = me.receive(timeout=5)
        elapsed = time.monotonic() - started
        if kind == "p1_sleep":  # a suspended guest is dropped at the deadline
            wait_for(lambda: rt.stats().actors == 0, 0.5)
        if kind.endswith("_read"):
            app.release_fifo()
    assert isinstance(event, Event) and event.type == EXIT and event.pid == pid
    assert event.error is not None and event.error.kind == "timeout", event
    assert event.error.message == f"test:{kind}_300ms: execution time limit of 300 ms exceeded"
    assert 0.25 < elapsed < 1.5, elapsed


@pytest.mark.parametrize("kind", ["p1_sleep", "p2_sleep"])
def test_cancel_of_a_guest_that_cannot_see_it_ends_it_at_once(app: App, kind: str) -> None:
    """A guest without the process API cannot observe CANCEL: as an Erlang process that does
    not trap exits on ``exit(Pid, shutdown)``, it ends at once, with kind ``shutdown``, whatever
    the grace period."""
    with load(app.path) as rt, rt.process() as me:
        pid = me.spawn_monitored(f"test:{kind}", HOST, 2000)
        time.sleep(0.2)
        asked = time.monotonic()
        assert me.cancel(pid, reason="enough", grace=30)
        event = me.receive(timeout=5)
        after = time.monotonic() - asked
    assert isinstance(event, Event) and event.type == EXIT and event.pid == pid
    assert event.error is not None and event.error.kind == "shutdown"
    assert event.error.message == "cancelled (enough)"
    assert after < 0.5, after


def test_supervisor_reacts_while_a_child_is_blocked(write_app: AppWriter) -> None:
    """A sibling crashing past the restart intensity makes the supervisor give up and shut
    down its blocked child at once: nothing waits for the 2 s sleep."""
    app = write_app(
        {"name": "h", "kind": "process.host", "host": {"workers": 8},
         "lifecycle": {"auto_start": True}},
        {"name": "sleeper", "kind": "process.wasm", "path": "wasi_p2.wasm",
         "method": "sleep-ms", "imports": P2},
        {"name": "crasher", "kind": "process.wasm", "path": "wasi_p2.wasm",
         "method": "exit-with", "imports": P2},
        {"name": "sup", "kind": "process.supervisor", "host": "test:h",
         "strategy": "one_for_one", "intensity": 3, "period": "5s",
         "children": [
             {"id": "sleeper", "process": "test:sleeper", "args": [2000],
              "restart": "temporary", "shutdown": "brutal_kill"},
             {"id": "crasher", "process": "test:crasher", "args": [1], "restart": "permanent"},
         ],
         "lifecycle": {"auto_start": True}},
    )
    started = time.monotonic()
    with load(app) as rt, rt.process() as me:
        sup = next(i.pid for i in rt.app_status() if i.entry_id == "test:sup")
        me.monitor(sup)  # SUPERVISION reports, then EXIT (kind noproc if it already gave up)
        while True:
            event = me.receive(timeout=5)
            assert isinstance(event, Event), event
            if event.type == EXIT:
                break
        elapsed = time.monotonic() - started
        assert event.pid == sup, event
        assert event.error is not None
        assert rt.stats().processes == 1  # only `me`: the sleeper was shut down too
    assert elapsed < 1.5, elapsed
