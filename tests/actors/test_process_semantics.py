"""Monitors, links, messages and selective receive between processes."""

from __future__ import annotations

import threading

import pytest

from tests.actors.actor_helpers import HOST, expect, expect_event
from wippy.actors import (
    EXIT,
    LINK_DOWN,
    Event,
    Message,
    Pid,
    Process,
    ProcessError,
    ProcessExitedError,
    Runtime,
)
from wippy.wasm.errors import TrapError


def wait_for_go(proc: Process, result: object = "done") -> object:
    expect(proc, topic="go")
    return result


def crash_on_go(proc: Process) -> None:
    expect(proc, topic="go")
    raise RuntimeError("boom")


def test_pid_is_printable_hashable_ordered(me: Process) -> None:
    a, b = Pid("app:processes", 17), Pid("app:processes", 18)
    assert str(a) == "<app:processes.17>" == repr(a)
    assert a < b and sorted([b, a]) == [a, b]
    assert {a, Pid("app:processes", 17)} == {a}
    assert me.self.host == "local" and me.pid == me.self


def test_process_error_from_exceptions() -> None:
    error = ProcessError.from_exception(ValueError("bad value"))
    assert (error.kind, error.message) == ("exception", "ValueError: bad value")
    wasm = ProcessError.from_exception(TrapError("t:x: unreachable"))
    assert (wasm.kind, wasm.message) == ("trap", "t:x: unreachable")


def test_exit_reaches_every_monitor_with_value(rt: Runtime, me: Process) -> None:
    pid = me.spawn_function(wait_for_go, HOST, 42)
    watchers = [rt.process() for _ in range(3)]
    for watcher in [me, *watchers]:
        watcher.monitor(pid)
    me.send(pid, "go")
    for watcher in [me, *watchers]:
        event = expect_event(watcher, EXIT, pid)
        assert event.value == 42 and event.error is None and event.ok
        watcher.close()


def test_exit_carries_the_error(me: Process) -> None:
    pid = me.spawn_function(crash_on_go, HOST, monitor=True)
    me.send(pid, "go")
    event = expect_event(me, EXIT, pid)
    assert event.error == ProcessError("exception", "RuntimeError: boom")
    assert event.value is None
    assert "RuntimeError" in event.error.details


def test_link_down_only_on_error(rt: Runtime, me: Process) -> None:
    me.set_options(trap_links=True)
    ok = me.spawn_function(wait_for_go, HOST, link=True)
    bad = me.spawn_function(crash_on_go, HOST, link=True)
    me.send(ok, "go")
    me.send(bad, "go")
    event = expect_event(me, LINK_DOWN, bad)
    assert event.error is not None and event.error.kind == "exception"
    assert me.receive(timeout=0.3) is None  # nothing for the normal exit
    assert rt.stats().links == 0


def test_untrapped_link_failure_propagates(me: Process) -> None:
    """A fails; B (linked, not trapping) fails with "linked"; so does C linked to B."""

    def middle(proc: Process, upstream: Pid) -> None:
        proc.link(upstream)
        proc.send(me.self, "linked")
        proc.receive()  # never returns normally: the link failure terminates us

    def outer(proc: Process, inner: Pid) -> None:
        proc.link(inner)
        proc.send(me.self, "linked")
        proc.receive()

    a = me.spawn_function(crash_on_go, HOST)
    b = me.spawn_function(middle, HOST, a, monitor=True)
    expect(me, topic="linked")
    c = me.spawn_function(outer, HOST, b, monitor=True)
    expect(me, topic="linked")
    me.send(a, "go")
    exits = {expect_event(me, EXIT).pid: None for _ in range(2)}
    assert set(exits) == {b, c}
    assert not me.is_alive(a) and not me.is_alive(b) and not me.is_alive(c)


def test_linked_failure_reports_kind_linked(me: Process) -> None:
    def victim(proc: Process, upstream: Pid) -> None:
        proc.link(upstream)
        proc.send(me.self, "ready")
        proc.receive()

    a = me.spawn_function(crash_on_go, HOST)
    b = me.spawn_function(victim, HOST, a, monitor=True)
    expect(me, topic="ready")
    me.send(a, "go")
    event = expect_event(me, EXIT, b)
    assert event.error == ProcessError("linked", "linked process failed")


def test_trap_links_in_child_sees_parent_failure(rt: Runtime, me: Process) -> None:
    """trap_links the other way round: the spawned process traps and outlives its parent."""

    def trapper(proc: Process) -> str:
        proc.set_options(trap_links=True)
        proc.send(me.self, "ready")
        event = proc.receive(timeout=10)
        assert isinstance(event, Event) and event.type == LINK_DOWN
        return f"saw {event.error.kind if event.error else None}"

    def parent(proc: Process) -> None:
        proc.spawn_function(trapper, HOST, link=True)
        expect(proc, topic="go")
        raise ValueError("parent fails")

    p = me.spawn_function(parent, HOST)
    me.monitor(p)
    # The trapper is spawned by the parent; find it through its "ready" message.
    ready = expect(me, topic="ready")
    me.monitor(ready.sender)
    me.send(p, "go")
    first = expect_event(me, EXIT, p)
    assert first.error is not None
    second = expect_event(me, EXIT, ready.sender)
    assert second.value == "saw exception"


def test_a_handle_without_trap_links_fails_with_its_link(rt: Runtime, me: Process) -> None:
    with rt.process() as other:
        pid = other.spawn_function(crash_on_go, HOST, link=True)
        me.monitor(other.self)
        me.send(pid, "go")
        event = expect_event(me, EXIT, other.self)
        assert event.error is not None and event.error.kind == "linked"
        with pytest.raises(ProcessExitedError):
            other.receive(timeout=0)


def test_noproc_for_monitor_and_link(me: Process) -> None:
    pid = me.spawn_function(lambda proc: None, HOST, monitor=True)
    expect_event(me, EXIT, pid)
    me.monitor(pid)
    event = expect_event(me, EXIT, pid)
    assert event.error is not None and event.error.kind == "noproc"
    me.link(pid)  # the caller is not failed by it, it only receives the event
    event = expect_event(me, LINK_DOWN, pid)
    assert event.error is not None and event.error.kind == "noproc"
    assert me.alive


def test_unmonitor_and_unlink(rt: Runtime, me: Process) -> None:
    pid = me.spawn_function(crash_on_go, HOST)
    me.monitor(pid)
    me.link(pid)
    me.unmonitor(pid)
    me.unlink(pid)
    assert rt.stats().monitors == 0 and rt.stats().links == 0
    me.send(pid, "go")
    assert me.receive(timeout=0.3) is None
    assert me.alive


def test_message_order_between_two_processes(me: Process) -> None:
    def producer(proc: Process, target: Pid, count: int) -> None:
        for i in range(count):
            proc.send(target, "n", i)

    me.spawn_function(producer, HOST, me.self, 1000)
    got = [expect(me).payload[0] for _ in range(1000)]
    assert got == list(range(1000))


def test_order_holds_per_sender_with_concurrent_senders(me: Process) -> None:
    def producer(proc: Process, target: Pid, tag: int) -> None:
        for i in range(300):
            proc.send(target, "n", tag, i)

    for tag in range(4):
        me.spawn_function(producer, HOST, me.self, tag)
    seen: dict[int, list[int]] = {tag: [] for tag in range(4)}
    for _ in range(1200):
        tag, i = expect(me).payload
        seen[tag].append(i)
    assert all(values == list(range(300)) for values in seen.values())


def test_selective_receive_leaves_others_in_order(me: Process) -> None:
    for i in range(3):
        me.send(me.self, "a", i)
        me.send(me.self, "b", i)
    assert expect(me, topic="b").payload == (0,)
    assert expect(me, topic="b").payload == (1,)
    rest = [(m.topic, m.payload[0]) for m in (expect(me) for _ in range(4))]
    assert rest == [("a", 0), ("a", 1), ("a", 2), ("b", 2)]


def test_selective_receive_waits_for_the_topic_and_skips_events(me: Process) -> None:
    pid = me.spawn_function(lambda proc: None, HOST, monitor=True)

    def later() -> None:
        me.send(me.self, "late", "x")

    timer = threading.Timer(0.2, later)
    timer.start()
    try:
        message = expect(me, topic="late")
    finally:
        timer.join()
    assert isinstance(message, Message) and message.sender == me.self
    expect_event(me, EXIT, pid)


def test_receive_timeout_returns_none(me: Process) -> None:
    assert me.receive(timeout=0.05) is None
    assert me.receive(timeout=0.05, topic="x") is None


def test_send_to_dead_pid_returns_false(me: Process) -> None:
    pid = me.spawn_function(lambda proc: 1, HOST, monitor=True)
    expect_event(me, EXIT, pid)
    assert me.send(pid, "x") is False


def test_closed_handle_refuses_operations(rt: Runtime) -> None:
    proc = rt.process()
    proc.close()
    proc.close()
    with pytest.raises(ProcessExitedError):
        proc.send(proc.self, "x")
    with pytest.raises(ProcessExitedError):
        proc.receive(timeout=0)


def test_handle_exit_with_exception_reports_error(rt: Runtime, me: Process) -> None:
    other = rt.process()
    me.monitor(other.self)
    with pytest.raises(KeyError), other:
        raise KeyError("k")
    event = expect_event(me, EXIT, other.self)
    assert event.error is not None and event.error.message == "KeyError: 'k'"


def test_tables_are_empty_after_many_processes_exit(rt: Runtime, me: Process) -> None:
    def node(proc: Process, peer: Pid) -> None:
        proc.link(peer)
        proc.monitor(peer)
        proc.send(me.self, "up")
        expect(proc, topic="go")

    rt.add_host("app:wide", workers=400)
    pids = [
        me.spawn_function(node, "app:wide", me.self, monitor=True, link=True) for _ in range(300)
    ]
    for _ in pids:
        expect(me, topic="up")
    stats = rt.stats()
    assert stats.processes == 301 and stats.links > 0 and stats.monitors > 0
    for pid in pids:
        me.send(pid, "go")
    for _ in pids:
        expect_event(me, EXIT)
    stats = rt.stats()
    assert (stats.processes, stats.monitors, stats.links) == (1, 0, 0)
