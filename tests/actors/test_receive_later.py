"""``receive_later``: the receive of stepped guests, a Wait instead of a blocked thread."""

from __future__ import annotations

import threading
import time

from tests.actors.actor_helpers import expect
from wippy.actors import Message, Process, Runtime


def test_a_waiting_receive_completes_when_a_message_arrives(rt: Runtime, me: Process) -> None:
    woken = threading.Event()
    wait = me.receive_later(topic="go")
    wait.bind(woken.set)
    assert not wait.done
    rt.send(me.self, "other", 1)  # not the topic: stays queued, the wait goes on
    time.sleep(0.05)
    assert not wait.done and not woken.is_set()
    rt.send(me.self, "go", 2)
    assert woken.wait(5)
    item = wait.outcome()
    assert isinstance(item, Message) and item.topic == "go" and item.payload == (2,)
    assert expect(me).topic == "other"  # the skipped message is still there


def test_a_waiting_receive_times_out_with_none(me: Process) -> None:
    started = time.monotonic()
    wait = me.receive_later(timeout=0.1)
    woken = threading.Event()
    wait.bind(woken.set)
    assert woken.wait(5)
    assert wait.outcome() is None
    assert 0.05 < time.monotonic() - started < 3


def test_an_item_already_there_completes_at_once(rt: Runtime, me: Process) -> None:
    rt.send(me.self, "x", 1)
    wait = me.receive_later(timeout=5)
    assert wait.done and wait.outcome().payload == (1,)
    assert me.receive_later(timeout=0).outcome() is None


def test_a_cancelled_wait_takes_nothing(rt: Runtime, me: Process) -> None:
    wait = me.receive_later()
    wait.cancel()
    rt.send(me.self, "kept", 1)
    assert not wait.done
    assert expect(me).topic == "kept"


def test_no_message_is_lost_between_a_timeout_and_an_arrival(rt: Runtime, me: Process) -> None:
    """Waits that time out just as messages arrive: every message ends up either in a completed
    wait or still in the mailbox."""
    got: list[int] = []
    for i in range(300):
        wait = me.receive_later(timeout=0.001)
        threading.Timer(0.001, rt.send, args=(me.self, "m", i)).start()
        done = threading.Event()
        wait.bind(done.set)
        assert done.wait(5)
        item = wait.outcome()
        if item is not None:
            got.append(item.payload[0])
    deadline = time.monotonic() + 5
    while len(got) < 300 and time.monotonic() < deadline:
        item = me.receive(timeout=0.5)
        if item is not None:
            got.append(item.payload[0])
    assert sorted(got) == list(range(300))
