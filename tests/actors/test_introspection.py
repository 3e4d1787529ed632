"""``rt.processes()`` and the counters: what each process is doing, and what was counted."""

from __future__ import annotations

import threading
from typing import Any

from tests.actors.actor_helpers import HOST, expect, expect_event, wait_until
from tests.wasm.core_programs import program
from wippy.actors import EXIT, SUPERVISION, Message, Pid, Process, ProcessInfo, Runtime
from wippy.wasm.spec import (
    HostCall,
    HostFunc,
    HostInterface,
    LimitSpec,
    Wait,
)
from wippy.wasm.wasmtime.engine import WasmtimeEngine

WASI = frozenset({"wasi:cli", "wasi:clocks"})


def info(rt: Runtime, pid: Pid) -> ProcessInfo:
    found = [p for p in rt.processes() if p.pid == pid]
    assert found, f"{pid} is not in rt.processes()"
    return found[0]


def state_of(rt: Runtime, pid: Pid) -> tuple[str, str | None]:
    found = info(rt, pid)
    return found.state, found.on


def test_a_sleeping_guest_is_suspended_on_sleep(
    rt: Runtime, me: Process, core_engine: WasmtimeEngine
) -> None:
    rt.add_program("t:sleep", program(core_engine, "steps.wasm", "sleep", imports=WASI))
    pid = me.spawn_monitored("t:sleep", HOST, 10_000)
    wait_until(lambda: state_of(rt, pid) == ("suspended", "sleep"))
    found = info(rt, pid)
    assert (found.entry, found.host, found.kind, found.parent) == ("t:sleep", HOST, "wasm", me.pid)
    assert 0 <= found.age < 10
    me.terminate(pid)
    assert expect_event(me, EXIT, pid).error.kind == "terminated"
    assert all(p.pid != pid for p in rt.processes())


def test_a_guest_waiting_in_a_host_call_and_one_in_receive(
    rt: Runtime, me: Process, core_engine: WasmtimeEngine
) -> None:
    release = Wait()

    def wait(call: HostCall, x: int) -> Any:
        if x == 1:  # a host call answered later
            return release
        proc = call.context
        assert isinstance(proc, Process)
        inner = proc.receive_later(topic="go")
        outer = Wait(label="receive")
        inner.bind(lambda: outer.complete(inner.outcome().payload[0]))
        return outer

    interface = HostInterface("wippy_test", "wippy_test", {
        "wait": HostFunc(("i32",), ("i32",), wait), "fail": HostFunc(("i32",), ("i32",), wait),
    })
    rt.add_program("t:wait", program(core_engine, "async_host.wasm", "wait_twice",
                                     imports=frozenset({"wippy_test"}), interfaces=(interface,)))
    in_host = me.spawn_monitored("t:wait", HOST, 1)
    in_receive = me.spawn_monitored("t:wait", HOST, 3)
    wait_until(lambda: state_of(rt, in_host) == ("suspended", "host call"))
    wait_until(lambda: state_of(rt, in_receive) == ("suspended", "receive"))
    me.send(in_receive, "go", 5)  # wait(3) -> 5, then wait(4) receives again
    wait_until(lambda: info(rt, in_receive).messages == 1)
    me.send(in_receive, "go", 7)
    assert expect_event(me, EXIT, in_receive).value == 12
    release.complete(100)  # then wait(2) receives: send it its number
    wait_until(lambda: state_of(rt, in_host) == ("suspended", "receive"))
    me.send(in_host, "go", 1)
    assert expect_event(me, EXIT, in_host).value == 101


def test_function_processes_running_runnable_starting_and_in_receive(
    rt: Runtime, me: Process
) -> None:
    rt.add_host("app:one", workers=1, queue_size=8, stop_timeout=1.0)
    gate = threading.Event()

    def busy(proc: Process) -> None:
        proc.send(me.self, "busy")
        gate.wait(10)

    def waiter(proc: Process) -> Any:
        proc.register("the-waiter")
        proc.send(me.self, "waiting")
        return proc.receive(topic="go")

    waiting = me.spawn_function(waiter, "app:one", monitor=True)
    expect(me, topic="waiting")
    wait_until(lambda: state_of(rt, waiting) == ("suspended", "receive"))
    assert info(rt, waiting).names == ("the-waiter",)
    running = me.spawn_function(busy, "app:one", monitor=True)
    expect(me, topic="busy")
    assert state_of(rt, running) == ("running", None)
    queued = me.spawn_function(busy, "app:one", monitor=True)  # no worker left: not started
    assert state_of(rt, queued) == ("starting", None)
    me.send(waiting, "go")  # woken, but the one worker is busy: runnable
    wait_until(lambda: state_of(rt, waiting) == ("runnable", None))
    assert info(rt, waiting).mailbox == 0 and info(rt, waiting).messages == 1
    rt.send(waiting, "extra")  # queued in its mailbox, not taken
    wait_until(lambda: info(rt, waiting).mailbox == 1)
    gate.set()
    assert expect(me, topic="busy") is not None  # the queued one got the worker at last
    for _ in range(3):
        expect_event(me, EXIT)
    own = info(rt, me.pid)
    assert (own.kind, own.host, own.state) == ("handle", "local", "running")


def test_counters_count_spawns_exits_by_kind_and_messages(rt: Runtime, me: Process) -> None:
    before = rt.counters()

    def fail(proc: Process) -> None:
        raise ValueError("no")

    def echo(proc: Process, n: int) -> None:
        for _ in range(n):
            msg = proc.receive()
            assert isinstance(msg, Message)
            proc.send(msg.sender, "back")

    pids = [me.spawn_function(fail, HOST, monitor=True) for _ in range(3)]
    pids.append(me.spawn_function(lambda proc: None, HOST, monitor=True))
    echoer = me.spawn_function(echo, HOST, 5, monitor=True)
    for _ in range(5):
        me.send(echoer, "ping")
        expect(me, topic="back")
    for _ in range(5):
        expect_event(me, EXIT)
    after = rt.counters()
    spawned = after.spawns[(HOST, "function")] - before.spawns.get((HOST, "function"), 0)
    assert spawned == 5
    assert after.exits[(HOST, "function", "exception")] == 3
    assert after.exits[(HOST, "function", "normal")] - before.exits.get(
        (HOST, "function", "normal"), 0) == 2
    assert after.messages - before.messages == 10  # events (EXIT) are not messages
    stats = rt.stats()
    assert stats.exits["exception"] == 3 and stats.messages == after.messages


def test_counted_notifications_are_counted_by_source_and_tag(rt: Runtime, me: Process) -> None:
    def reporter(proc: Process) -> None:
        proc.describe("app:reporter")
        for action in ("restarted", "restarted", "give_up"):
            proc.notify_monitors(SUPERVISION, action, count_as=("app:reporter", action))
        proc.notify_monitors(SUPERVISION, "uncounted")

    pid = me.spawn_function(reporter, HOST, monitor=True)
    for _ in range(4):
        assert expect(me).type == SUPERVISION
    expect_event(me, EXIT, pid)
    stats = rt.stats()
    assert stats.restarts == {"app:reporter": 2} and stats.give_ups == {"app:reporter": 1}


def test_fuel_and_memory_of_guests_with_limits(
    rt: Runtime, me: Process, core_engine: WasmtimeEngine
) -> None:
    limits = LimitSpec(fuel=10**12, max_memory=1 << 20)
    rt.add_program("t:count", program(core_engine, "traps.wasm", "count", limits=limits))
    rt.add_program("t:sleeps", program(core_engine, "steps.wasm", "sleep_times", imports=WASI,
                                       limits=limits))
    rt.add_program("t:plain", program(core_engine, "traps.wasm", "count"))
    small = me.spawn_monitored("t:count", HOST, 1_000)
    expect_event(me, EXIT, small)
    used_small = rt.counters().fuel["t:count"]
    big = me.spawn_monitored("t:count", HOST, 100_000)
    expect_event(me, EXIT, big)
    used_big = rt.counters().fuel["t:count"] - used_small
    assert 50 * used_small < used_big < 200 * used_small  # linear in n
    sleeper = me.spawn_monitored("t:sleeps", HOST, 1000, 10)
    wait_until(lambda: (info(rt, sleeper).fuel_used or 0) > 0)
    first = info(rt, sleeper).fuel_used or 0
    wait_until(lambda: (info(rt, sleeper).fuel_used or 0) > first)  # measured at each wait
    assert info(rt, sleeper).memory_bytes == 65536  # one page
    assert rt.counters().fuel["t:sleeps"] >= first  # the meter adds as it goes
    me.terminate(sleeper)
    expect_event(me, EXIT, sleeper)
    plain = me.spawn_monitored("t:plain", HOST, 10)
    expect_event(me, EXIT, plain)
    assert "t:plain" not in rt.counters().fuel
