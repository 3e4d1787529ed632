"""Starts: a process counts as started when its Init completed or, when asked, when it acked
with ``ready()``; names given at spawn are registered before the process runs."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

import wippy
from tests.actors.actor_helpers import HOST, expect_event, wait_until
from tests.conftest import FIXTURES, AppWriter, digest
from wippy.actors import (
    EXIT,
    STARTED,
    NameTakenError,
    Process,
    Runtime,
)


def test_a_function_counts_as_started_once_entered(rt: Runtime, me: Process) -> None:
    gate = threading.Event()
    pid = me.spawn_function(lambda proc: gate.wait(10), HOST, monitor=True)
    event = me.await_started(pid, timeout=10)
    assert event is not None and (event.type, event.pid) == (STARTED, pid)
    assert me.watch_start(pid)  # already started: the event comes at once
    assert expect_event(me, STARTED, pid).value is None
    gate.set()
    expect_event(me, EXIT, pid)
    assert me.pending() == 0


def test_an_ack_is_waited_for_and_carries_its_value(rt: Runtime, me: Process) -> None:
    acks: list[bool] = []

    def acker(proc: Process) -> None:
        proc.receive(topic="go")
        acks.append(proc.ready({"port": 80}))
        acks.append(proc.ready("again"))  # only the first ack counts
        proc.receive(topic="stop")

    pid = me.spawn_function(acker, HOST)
    assert me.await_started(pid, ack=True, timeout=0.2) is None  # entered, but no ack yet
    me.send(pid, "go")
    event = me.await_started(pid, ack=True, timeout=10)
    assert event is not None and event.type == STARTED and event.value == {"port": 80}
    assert acks == [True, False]
    me.monitor(pid)
    me.send(pid, "stop")
    expect_event(me, EXIT, pid)
    assert me.pending() == 0  # no STARTED nor EXIT of the waits was left behind


def test_an_exit_before_the_ack_ends_the_wait(rt: Runtime, me: Process) -> None:
    def quitter(proc: Process) -> None:
        raise RuntimeError("cannot start")

    pid = me.spawn_function(quitter, HOST, monitor=True)  # so its real EXIT cannot be missed
    event = me.await_started(pid, ack=True, timeout=10)
    assert event is not None and event.type == EXIT and event.error is not None
    assert "cannot start" in event.error.message
    assert me.receive(0) is None
    gone = me.await_started(pid, ack=True, timeout=10)  # gone already: at once, noproc
    assert gone is not None and gone.error is not None and gone.error.kind == "noproc"


def test_a_waiting_function_process_gives_its_permit_back(rt: Runtime, me: Process) -> None:
    """On a one-worker host, a process waiting for another's ack must let it run."""
    rt.add_host("app:one", workers=1)

    def child(proc: Process) -> None:
        proc.ready("up")
        proc.receive(topic="never", timeout=0)

    def parent(proc: Process) -> object:
        pid = proc.spawn_function(child, "app:one")
        event = proc.await_started(pid, ack=True, timeout=10)
        return None if event is None else event.value

    pid = me.spawn_function(parent, "app:one", monitor=True)
    assert expect_event(me, EXIT, pid).value == "up"


def test_a_name_given_at_spawn_is_registered_before_the_process_runs(
    rt: Runtime, me: Process
) -> None:
    seen: list[object] = []

    def named(proc: Process) -> None:
        seen.append(proc.lookup("worker"))
        proc.receive(topic="stop")

    pid = me.spawn_function(named, HOST, name="worker", monitor=True)
    assert rt.lookup("worker") == pid
    wait_until(lambda: seen == [pid])
    with pytest.raises(NameTakenError) as info:
        me.spawn_function(named, HOST, name="worker")
    assert info.value.owner == pid and "'worker'" in str(info.value)
    assert rt.stats().processes == 2  # the refused spawn left nothing behind
    me.send("worker", "stop")
    expect_event(me, EXIT, pid)
    assert rt.lookup("worker") is None


def test_a_wasm_process_counts_as_started_once_instantiated(write_app: AppWriter) -> None:
    """A guest whose instantiation fails never starts: the wait sees its EXIT."""
    traps = {"kind": "process.wasm", "path": "traps.wasm", "hash": digest(FIXTURES / "traps.wasm")}
    path: Path = write_app(
        {"name": "processes", "kind": "process.host", "lifecycle": {"auto_start": True}},
        {"name": "spin", **traps, "method": "busy"},
        {"name": "small", **traps, "method": "busy", "limits": {"max_memory": "32KiB"}},
    )
    with wippy.load(path) as rt, rt.process() as me:
        pid = me.spawn("test:spin", "test:processes", name="spinner")
        event = me.await_started("spinner", timeout=30)
        assert event is not None and (event.type, event.pid) == (STARTED, pid)
        me.terminate(pid)
        failed = me.spawn_monitored("test:small", "test:processes")
        event = me.await_started(failed, timeout=30)
        assert event is not None and event.type == EXIT and event.error is not None
        assert event.error.kind == "memory"
