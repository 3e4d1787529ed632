"""Load and shutdown: nothing lost under load, nothing left behind after stop."""

from __future__ import annotations

import threading
import time

import pytest

from tests.actors.actor_helpers import HOST, expect, expect_event, wait_until, wippy_threads
from wippy.actors import EXIT, Event, Message, Pid, Process, Runtime, RuntimeStoppedError


def test_a_crash_among_1000_healthy_processes_loses_nothing(rt: Runtime, me: Process) -> None:
    rt.add_host("app:load", workers=128, queue_size=2000)

    def healthy(proc: Process, target: Pid) -> int:
        for i in range(5):
            proc.send(target, "n", i)
        return 5

    def crasher(proc: Process, target: Pid) -> None:
        proc.send(target, "n", 0)
        raise RuntimeError("crash")

    pids = [me.spawn_function(healthy, "app:load", me.self, monitor=True) for _ in range(500)]
    bad = me.spawn_function(crasher, "app:load", me.self, monitor=True)
    pids += [me.spawn_function(healthy, "app:load", me.self, monitor=True) for _ in range(500)]
    received: dict[Pid, list[int]] = {}
    exits: dict[Pid, Event] = {}
    while len(exits) < 1001 or sum(map(len, received.values())) < 5001:
        item = expect(me)
        if isinstance(item, Message):
            received.setdefault(item.sender, []).append(item.payload[0])
        else:
            assert item.type == EXIT and item.pid not in exits
            exits[item.pid] = item
    assert all(received[pid] == [0, 1, 2, 3, 4] for pid in pids)
    assert all(exits[pid].value == 5 for pid in pids)
    assert exits[bad].error is not None and exits[bad].error.kind == "exception"
    assert me.receive(timeout=0.1) is None


def test_stop_with_processes_in_every_state_leaves_nothing(no_thread_leak: None) -> None:
    before = wippy_threads()
    rt = Runtime()
    rt.add_host("app:a", workers=2, queue_size=10, stop_timeout=0.5)
    rt.add_host("app:b", workers=8, stop_timeout=0.5)
    me = rt.process()
    unclosed = rt.process()  # left open on purpose: stop closes it
    gate = threading.Event()

    def running(proc: Process) -> None:  # busy outside wippy, finishes once released
        proc.send(me.self, "running")
        gate.wait(10)

    def waiting(proc: Process) -> None:  # blocked in receive, ignores CANCEL
        proc.send(me.self, "waiting")
        proc.receive(topic="never")

    def graceful(proc: Process) -> str:  # handles CANCEL
        proc.send(me.self, "waiting")
        proc.receive()
        return "bye"

    exited = me.spawn_function(lambda proc: "done", "app:b", monitor=True)
    expect_event(me, EXIT, exited)
    me.spawn_function(running, "app:a", monitor=True)
    me.spawn_function(running, "app:a", monitor=True)
    expect(me, topic="running")
    expect(me, topic="running")
    queued = [me.spawn_function(running, "app:a", monitor=True) for _ in range(3)]
    wait_until(lambda: rt.host_stats("app:a").queued == 3)
    me.spawn_function(waiting, "app:b", monitor=True)
    me.spawn_function(graceful, "app:b", link=True)
    expect(me, topic="waiting")
    expect(me, topic="waiting")
    unclosed.spawn_function(waiting, "app:b", link=True)

    threading.Timer(0.8, gate.set).start()  # lets the "running" ones finish within stop
    started = time.monotonic()
    rt.stop()
    assert time.monotonic() - started < 10
    stats = rt.stats()
    assert stats == type(stats)(0, 0, 0, 0, 0, 0), stats
    assert wippy_threads() <= before
    assert not me.alive and not unclosed.alive
    for pid in queued:
        assert not rt.is_alive(pid)
    with pytest.raises(RuntimeStoppedError):
        rt.process()
    rt.stop()  # idempotent


def test_hosts_stop_in_reverse_start_order(no_thread_leak: None) -> None:
    order: list[str] = []
    lock = threading.Lock()
    with Runtime() as rt:
        for name in ("app:1", "app:2", "app:3"):
            rt.add_host(name, stop_timeout=2)
        with rt.process() as me:

            def note(proc: Process, name: str) -> None:
                proc.send(me.self, "up")
                proc.receive()  # the CANCEL
                with lock:
                    order.append(name)

            for name in ("app:1", "app:2", "app:3"):
                rt.spawn_function(note, name, name)
                expect(me, topic="up")
    assert order == ["app:3", "app:2", "app:1"]


def test_runtime_as_context_manager_stops(no_thread_leak: None) -> None:
    with Runtime() as rt:
        rt.add_host(HOST)
        rt.spawn_function(lambda proc: proc.receive(), HOST)
    assert rt.stats().processes == 0


def test_stop_called_from_inside_a_process_does_not_hang(no_thread_leak: None) -> None:
    rt = Runtime()
    rt.add_host(HOST, stop_timeout=0.2)
    done = threading.Event()

    def stopper(proc: Process) -> None:
        rt.stop(join_timeout=1)
        done.set()

    rt.spawn_function(stopper, HOST)
    assert done.wait(10)
    rt.stop()  # the first stop is still finishing or done: returns at once
    deadline = time.monotonic() + 5
    while wippy_threads() and time.monotonic() < deadline:
        time.sleep(0.01)


def test_short_processes_reuse_parked_threads() -> None:
    before = wippy_threads()
    with Runtime() as rt:
        rt.add_host("app:processes", workers=4)
        with rt.process() as me:
            for _ in range(50):
                pid = me.spawn_function(lambda proc: None, "app:processes", monitor=True)
                event = me.receive(timeout=10)
                assert event is not None and event.pid == pid
        used = wippy_threads() - before
        assert 1 <= len(used) <= 10, len(used)  # one after another: a handful, not 50
    assert not (wippy_threads() - before)  # parked threads end when the runtime stops
