"""process.host semantics: worker bounds, queue bounds, spawn errors, start/stop."""

from __future__ import annotations

import threading
import time

import pytest

from tests.actors.actor_helpers import HOST, FakeProgram, expect, expect_event, wait_until
from wippy.actors import (
    EXIT,
    HostQueueFull,
    HostState,
    HostStoppedError,
    Process,
    Runtime,
    SpawnArgumentError,
    SpawnError,
    UnknownEntryError,
    UnknownHostError,
)


def test_200_sleeping_processes_run_in_parallel(rt: Runtime, me: Process) -> None:
    rt.add_host("app:wide", workers=256)
    started = time.monotonic()
    pids = [
        me.spawn_function(lambda proc: time.sleep(1), "app:wide", monitor=True) for _ in range(200)
    ]
    for _ in pids:
        assert expect_event(me, EXIT, timeout=30).ok
    assert time.monotonic() - started < 20


def test_workers_bound_how_many_run_at_once(rt: Runtime, me: Process) -> None:
    rt.add_host("app:three", workers=3, queue_size=100)
    lock = threading.Lock()
    running = [0]
    peak = [0]

    def work(proc: Process) -> None:
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        time.sleep(0.05)
        with lock:
            running[0] -= 1

    pids = [me.spawn_function(work, "app:three", monitor=True) for _ in range(12)]
    for _ in pids:
        assert expect_event(me, EXIT).ok
    assert peak[0] == 3


def test_queued_processes_start_in_spawn_order(rt: Runtime, me: Process) -> None:
    rt.add_host("app:one", workers=1, queue_size=100)
    gate = threading.Event()
    order: list[int] = []

    def first(proc: Process) -> None:
        gate.wait(10)

    me.spawn_function(first, "app:one")
    wait_until(lambda: rt.host_stats("app:one").running == 1)
    pids = [me.spawn_function(lambda proc, i: order.append(i), "app:one", i) for i in range(20)]
    wait_until(lambda: rt.host_stats("app:one").queued == 20)
    for pid in pids:
        me.monitor(pid)
    gate.set()
    for _ in pids:
        expect_event(me, EXIT)
    assert order == list(range(20))


def test_spawning_beyond_the_queue_raises_host_queue_full(rt: Runtime, me: Process) -> None:
    rt.add_host("app:small", workers=2, queue_size=3)
    gate = threading.Event()
    pids = [me.spawn_function(lambda proc: gate.wait(10), "app:small") for _ in range(5)]
    with pytest.raises(HostQueueFull) as info:
        me.spawn_function(lambda proc: None, "app:small")
    assert "app:small" in str(info.value) and "queue_size=3" in str(info.value)
    assert isinstance(info.value, SpawnError)
    for pid in pids:
        me.monitor(pid)
    gate.set()
    for _ in pids:
        expect_event(me, EXIT)
    wait_until(lambda: rt.host_stats("app:small").running == 0)
    pid = me.spawn_function(lambda proc: "again", "app:small", monitor=True)
    assert expect_event(me, EXIT, pid).value == "again"


def test_spawn_errors_are_raised_at_spawn_time(rt: Runtime, me: Process) -> None:
    program = FakeProgram(lambda args, inst: sum(args))
    rt.add_program("t:fake", program)
    with pytest.raises(UnknownHostError, match="app:nope"):
        me.spawn_function(lambda proc: None, "app:nope")
    with pytest.raises(UnknownEntryError, match="t:missing"):
        me.spawn("t:missing", HOST)
    with pytest.raises(SpawnArgumentError, match="takes ints") as info:
        me.spawn("t:fake", HOST, "not an int")
    assert info.value.__cause__ is not None
    rt.add_host("app:idle", auto_start=False)
    with pytest.raises(HostStoppedError, match="app:idle"):
        me.spawn("t:fake", "app:idle", 1)
    assert program.instances == []
    assert rt.stats().processes == 1


def test_stop_host_drains_it_and_refuses_spawns(rt: Runtime, me: Process) -> None:
    rt.add_host("app:temp", stop_timeout=0.3)

    def graceful(proc: Process) -> str:
        proc.send(me.self, "up")
        item = proc.receive()
        return f"cancelled: {getattr(item, 'reason', None)}"

    def deaf(proc: Process) -> None:
        proc.send(me.self, "up")
        proc.receive(topic="never")

    good = me.spawn_function(graceful, "app:temp", monitor=True)
    bad = me.spawn_function(deaf, "app:temp", monitor=True)
    expect(me, topic="up")
    expect(me, topic="up")
    rt.stop_host("app:temp")
    assert rt.host_stats("app:temp").state is HostState.STOPPED
    events = {e.pid: e for e in (expect_event(me, EXIT) for _ in range(2))}
    assert events[good].value == "cancelled: host stopping"
    assert events[bad].error is not None and events[bad].error.kind == "terminated"
    with pytest.raises(HostStoppedError):
        me.spawn_function(lambda proc: None, "app:temp")
    rt.start_host("app:temp")
    pid = me.spawn_function(lambda proc: "back", "app:temp", monitor=True)
    assert expect_event(me, EXIT, pid).value == "back"


def test_add_host_rejects_duplicates_and_bad_settings(rt: Runtime) -> None:
    with pytest.raises(ValueError, match="already exists"):
        rt.add_host(HOST)
    with pytest.raises(ValueError, match="workers"):
        rt.add_host("app:zero", workers=0)
    with pytest.raises(UnknownHostError):
        rt.start_host("app:none")
    assert rt.hosts[HOST].workers == 64
