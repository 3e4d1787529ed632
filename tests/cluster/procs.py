"""Python process functions the cluster tests run on other nodes (imported there by name)."""

from __future__ import annotations

from typing import Any

from wippy.actors import CANCEL, Event, Message, Pid, Process


def echo(proc: Process, count: int) -> str:
    """Sends every message back to its sender (same topic prefixed ``echo:``), ``count`` times."""
    for _ in range(count):
        item = proc.receive(timeout=60)
        if item is None:
            return "timeout"
        if isinstance(item, Message):
            proc.send(item.sender, "echo:" + item.topic, *item.payload)
    return "done"


def echo_forever(proc: Process) -> None:
    """Echoes messages until CANCEL; returns ``"cancelled"``."""
    while True:
        item = proc.receive(timeout=120)
        if isinstance(item, Event) and item.type == CANCEL:
            return
        if isinstance(item, Message):
            proc.send(item.sender, "echo:" + item.topic, *item.payload)


def count_to(proc: Process, parent: Pid, total: int) -> int:
    """Receives ``total`` messages numbered 0..total-1; reports the first out of order."""
    for expected in range(total):
        item = proc.receive(timeout=60)
        if not isinstance(item, Message) or item.payload != (expected,):
            proc.send(parent, "bad", expected, repr(item))
            return -1
    proc.send(parent, "counted", total)
    return total


def flood(proc: Process, target: Pid, total: int) -> int:
    """Sends ``total`` numbered messages to ``target``."""
    for i in range(total):
        proc.send(target, "n", i)
    return total


def register_and_wait(proc: Process, name: str) -> str:
    """Registers ``name``, then echoes until CANCEL."""
    proc.register(name)
    echo_forever(proc)
    return name


def fail_on(proc: Process, topic: str) -> None:
    """Waits for a message of ``topic`` and raises."""
    proc.receive(timeout=120, topic=topic)
    raise RuntimeError(f"asked to fail by {topic!r}")


def relay(proc: Process, host: str, count: int) -> str:
    """Spawns :func:`echo` on ``host`` (another node), pings it ``count`` times in order and
    returns what came back joined, then the echo's EXIT value."""
    pid = proc.spawn_function(echo, host, count, monitor=True)
    for i in range(count):
        proc.send(pid, "ping", i)
    got = []
    for _ in range(count):
        item = proc.receive(timeout=30, topic="echo:ping")
        assert isinstance(item, Message)
        got.append(str(item.payload[0]))
    exit_event = proc.receive(timeout=30, match=lambda e: isinstance(e, Event))
    assert isinstance(exit_event, Event)
    return ",".join(got) + f";{exit_event.value}@{pid.host}"


def linked_worker(proc: Process, peer: Pid) -> Any:
    """Links to ``peer`` and waits (without trapping): dies when ``peer`` fails."""
    proc.link(peer)
    proc.send(peer, "linked")
    proc.receive(timeout=120, topic="never")
    return "not reached"


def return_lock(proc: Process) -> Any:
    """Exits with a value that cannot be pickled."""
    import threading

    return threading.Lock()


def ready_after(proc: Process, topic: str, value: Any) -> None:
    """Acks its start with ``value`` once a message of ``topic`` arrives, then echoes until
    CANCEL."""
    proc.receive(timeout=120, topic=topic)
    proc.ready(value)
    echo_forever(proc)
