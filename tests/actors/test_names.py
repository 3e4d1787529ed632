"""Registered names: every call that takes a pid also takes a name; names die with their process."""

from __future__ import annotations

import threading

import pytest

from tests.actors.actor_helpers import HOST, expect, expect_event
from wippy.actors import (
    CANCEL,
    EXIT,
    Message,
    NameTakenError,
    Pid,
    Process,
    Runtime,
    UnknownNameError,
)


def server(proc: Process, name: str) -> str:
    proc.register(name)
    proc.send(proc.lookup("parent") or proc.self, "registered", name)
    while True:
        item = proc.receive()
        if isinstance(item, Message) and item.topic == "ping":
            proc.send(item.sender, "pong", *item.payload)
        elif getattr(item, "type", None) == CANCEL:
            return "cancelled"


def test_a_registered_name_routes_messages_and_is_freed_at_exit(rt: Runtime, me: Process) -> None:
    me.register("parent")
    pid = me.spawn_function(server, HOST, "kv", monitor=True)
    assert expect(me, topic="registered").payload == ("kv",)
    assert rt.lookup("kv") == pid == me.lookup("kv")
    assert me.send("kv", "ping", 1)
    assert expect(me, topic="pong").payload == (1,)
    assert rt.send("kv", "ping", 2)
    assert me.is_alive("kv")
    me.terminate("kv")
    assert expect_event(me, EXIT, pid).error.kind == "terminated"  # type: ignore[union-attr]
    assert rt.lookup("kv") is None
    assert not me.is_alive("kv")
    with pytest.raises(UnknownNameError, match="'kv'"):
        me.send("kv", "ping")


def test_a_taken_name_is_refused_and_a_freed_one_can_be_taken(rt: Runtime, me: Process) -> None:
    other = rt.process()
    other.register("svc")
    with pytest.raises(NameTakenError) as info:
        me.register("svc")
    assert info.value.owner == other.self and "svc" in str(info.value)
    other.register("svc")  # registering the same name again is a no-op
    assert other.unregister("svc") and not other.unregister("svc")
    me.register("svc")
    assert rt.lookup("svc") == me.self
    other.close()


def test_monitor_link_cancel_by_name(rt: Runtime, me: Process) -> None:
    me.register("parent")
    pid = me.spawn_function(server, HOST, "target")
    expect(me, topic="registered")
    me.monitor("target")
    me.set_options(trap_links=True)
    me.link("target")
    assert me.cancel("target", reason="done")
    event = expect_event(me, EXIT, pid)
    assert event.value == "cancelled"
    with pytest.raises(UnknownNameError):
        me.monitor("target")


def test_pid_strings_are_accepted_and_checked(rt: Runtime, me: Process) -> None:
    gate = threading.Event()
    pid = me.spawn_function(lambda proc: gate.wait(10), HOST, monitor=True)
    assert Pid.parse(str(pid)) == pid
    assert me.is_alive(str(pid))
    with pytest.raises(ValueError):
        Pid.parse("app:processes.1")
    with pytest.raises(UnknownNameError, match="not a pid"):
        me.send("<nonsense>", "x")
    gate.set()
    expect_event(me, EXIT, pid)
    assert not me.is_alive(str(pid))


def test_bad_names_are_refused(me: Process) -> None:
    for bad in ("", "<x.1>"):
        with pytest.raises(ValueError, match="process name"):
            me.register(bad)
