"""Every wippy:process function and return code through a C guest (process_probe.c, built
against guest/c/wippy_process.h), with the semantics of Python processes."""

from __future__ import annotations

import time

import msgpack
import pytest

from tests.actors.actor_helpers import expect, wait_until
from tests.guest.guest_helpers import GHOST, Probe, exit_of, pack
from wippy.actors import EXIT, Event, Message, Pid, Process, Runtime


@pytest.fixture
def probe(gme: Process) -> Probe:
    return Probe.spawn(gme)


def _stop(probe: Probe) -> Event:
    probe.start("exit", 0)
    return exit_of(probe.me, probe.pid)


def test_self_writes_the_pid_or_says_how_long_it_is(probe: Probe) -> None:
    assert probe.call("self", 64) == [len(str(probe.pid)), str(probe.pid)]
    assert probe.call("self", 3) == [len(str(probe.pid)), ""]  # too small: nothing written
    _stop(probe)


def test_send_and_its_errors(gme: Process, probe: Probe) -> None:
    assert probe.call("send", str(gme.self), "hello", pack({"a": [1, 2]})) == [0, ""]
    message = expect(gme, topic="hello")
    assert message.payload == ({"a": [1, 2]},) and message.sender == probe.pid
    gme.register("controller")
    assert probe.call("send", "controller", "by-name", pack(7)) == [0, ""]
    assert expect(gme, topic="by-name").payload == (7,)
    assert probe.call("send", "nobody", "t", pack(1)) == [
        -2, "no process is registered as 'nobody'"]
    rc, text = probe.call("send", "<not a pid", "t", pack(1))
    assert (rc, text) == (-1, "not a pid: '<not a pid'")
    rc, text = probe.call("send", str(gme.self), "t", b"\xc1")
    assert rc == -1 and text.startswith("data is not MessagePack")
    rc, text = probe.call("send", str(gme.self), "t", pack(1) + pack(2))
    assert rc == -1 and "1 bytes follow the first value" in text
    gone = gme.spawn_monitored("test:core_wait", GHOST, 0)
    exit_of(gme, gone)
    assert probe.call("send", str(gone), "t", pack(1)) == [
        -2, f"no such process: {gone} (it has exited)"]
    assert gme.receive(timeout=0.05, topic="t") is None  # nothing half-delivered
    _stop(probe)


def _receive(probe: Probe, topic: str, timeout_ms: int) -> None:
    """Starts a receive in the probe: what is sent after this is what it receives."""
    probe.start("receive", topic, timeout_ms)


def _event(probe: Probe) -> list[object]:
    """The next event the probe reported (one that arrived while it waited for a command)."""
    item = expect(probe.me, topic="event")
    assert isinstance(item, Message)
    (report,) = item.payload
    return report  # type: ignore[no-any-return]


def test_receive_kinds_topics_timeouts_and_the_current_item(gme: Process, probe: Probe) -> None:
    # a message: kind 1, topic, sender, data; each current_* returns its length
    _receive(probe, "", 5000)
    gme.send(probe.pid, "later", "x")
    rc = probe.reply()
    assert rc[:4] == [1, "later", str(gme.self), pack("x")]
    assert rc[4:] == [5, len(str(gme.self)), len(pack("x"))]
    # with a topic, other messages stay queued (in order) and the topic is taken
    _receive(probe, "b", 5000)
    gme.send(probe.pid, "a", 1)
    gme.send(probe.pid, "b", 2)
    assert probe.reply()[:4] == [1, "b", str(gme.self), pack(2)]
    # a timeout: kind 0 and no current item (-5)
    _receive(probe, "b", 50)
    assert probe.reply() == [0, "", "", b"", -5, -5, -5]
    assert probe.call("last_error", 200)[1].startswith("there is no current item")
    # the skipped "a" is still there, first
    assert probe.call("receive", "", 0)[:4] == [1, "a", str(gme.self), pack(1)]
    # a negative timeout other than -1 is a bad argument
    assert probe.call("receive", "", -5) == [-1, "timeout_ms must be -1 (forever) or >= 0, "
                                                "got -5"]
    _stop(probe)


def test_exit_and_link_down_data_and_noproc(gme: Process, probe: Probe) -> None:
    child = gme.spawn("test:core_wait", GHOST, -1)
    assert probe.call("monitor", str(child)) == [0, ""]
    _receive(probe, "", 5000)
    gme.send(child, "any", 1)  # the child returns 1
    report = probe.reply()
    assert report[:3] == [2, "EXIT", str(child)]
    assert msgpack.unpackb(report[3]) == {"value": 1, "error": None}
    # a pid already gone: EXIT noproc at once, as in Python
    assert probe.call("monitor", str(child)) == [0, ""]
    report = _event(probe)
    assert report[:3] == [2, "EXIT", str(child)]
    assert msgpack.unpackb(report[3]) == {  # type: ignore[arg-type]
        "value": None, "error": {"kind": "noproc", "message": "no such process"}}
    # trap_links: a linked failure arrives as LINK_DOWN with the error
    assert probe.call("trap_links", 1) == [0, ""]
    victim = gme.spawn("test:core_wait", GHOST, -1)
    assert probe.call("link", str(victim)) == [0, ""]
    _receive(probe, "", 5000)
    gme.terminate(victim)
    report = probe.reply()
    assert report[:3] == [3, "LINK_DOWN", str(victim)]
    assert msgpack.unpackb(report[3]) == {
        "value": None, "error": {"kind": "terminated", "message": "process was terminated"}}
    _stop(probe)


def test_a_normal_exit_sends_no_link_down_and_unlink_unmonitor_stop_events(
    gme: Process, probe: Probe
) -> None:
    probe.call("trap_links", 1)
    a = gme.spawn("test:core_wait", GHOST, -1)
    b = gme.spawn("test:core_wait", GHOST, -1)
    assert probe.call("link", str(a)) == [0, ""]
    assert probe.call("monitor", str(b)) == [0, ""]
    assert probe.call("unlink", str(a)) == [0, ""]
    assert probe.call("unmonitor", str(b)) == [0, ""]
    gme.terminate(a)
    gme.terminate(b)
    c = gme.spawn("test:core_wait", GHOST, -1)
    probe.call("link", str(c))
    gme.send(c, "x")  # exits normally: no LINK_DOWN
    wait_until(lambda: not gme.is_alive(c))
    assert probe.call("receive", "", 200)[0] == 0  # nothing arrived
    _stop(probe)


def test_a_linked_failure_without_trap_links_takes_the_guest_down(gme: Process,
                                                                  probe: Probe) -> None:
    victim = gme.spawn("test:core_wait", GHOST, -1)
    assert probe.call("link", str(victim)) == [0, ""]
    gme.terminate(victim)
    event = exit_of(gme, probe.pid)
    assert event.error is not None and event.error.kind == "linked"


def test_spawn_with_monitor_and_link_and_its_errors(guest_rt: Runtime, gme: Process,
                                                    probe: Probe) -> None:
    rc, pid_text = probe.call("spawn", "test:core_wait", "", pack([-1]), 3, 64)
    assert rc == len(pid_text) and pid_text.startswith(f"<{GHOST}.")
    child = Pid.parse(pid_text)
    assert gme.is_alive(child)
    probe.call("trap_links", 1)
    gme.terminate(child)  # linked and monitored: both events
    kinds = {_event(probe)[0], _event(probe)[0]}
    assert kinds == {2, 3}
    # too small a buffer: nothing spawned, the needed length returned
    room = len(GHOST) + 23
    assert probe.call("spawn", "test:core_wait", GHOST, pack([-1]), 0, 10) == [room, ""]
    assert guest_rt.stats().processes == 2  # gme and the probe: nothing new
    assert probe.call("spawn", "test:nope", "", b"", 0, 64) == [
        -3, "no program entry 'test:nope' in the registry"]
    rc, text = probe.call("spawn", "test:core_wait", "", pack([1, 2]), 0, 64)
    assert rc == -3 and "takes 1 argument but got 2" in text
    rc, text = probe.call("spawn", "test:core_wait", "no:host", pack([1]), 0, 64)
    assert rc == -3 and "unknown host 'no:host'" in text
    assert probe.call("spawn", "test:core_wait", "", pack({"a": 1}), 0, 64) == [
        -1, "args must be a MessagePack array, got dict"]
    assert probe.call("spawn", "test:core_wait", "", pack([1]), 8, 64) == [
        -1, "unknown spawn flags 0x8 (known: 1 monitor, 2 link)"]
    _stop(probe)


def test_terminate_and_cancel_from_a_guest(gme: Process, probe: Probe) -> None:
    victim = gme.spawn_monitored("test:core_wait", GHOST, -1)
    assert probe.call("terminate", str(victim)) == [0, ""]
    event = exit_of(gme, victim)
    assert event.error is not None and event.error.kind == "terminated"
    assert probe.call("terminate", str(victim)) == [
        -2, f"no such process: {victim} (it has exited)"]
    echo = gme.spawn_monitored("test:core_echo", GHOST)
    assert probe.call("cancel", str(echo), "enough") == [0, ""]
    assert exit_of(gme, echo).value == 0  # the echo guest saw CANCEL and returned
    assert probe.call("cancel", "nobody", "x") == [-2, "no process is registered as 'nobody'"]
    _stop(probe)


def test_cancel_reason_reaches_the_guest_as_a_string(gme: Process, probe: Probe) -> None:
    probe.start("receive", "", 5000)
    time.sleep(0.05)
    gme.cancel(probe.pid, "maintenance")
    report = probe.reply()
    assert report[:3] == [4, "CANCEL", str(gme.self)]
    assert msgpack.unpackb(report[3]) == "maintenance"
    _stop(probe)


def test_register_and_unregister(guest_rt: Runtime, gme: Process, probe: Probe) -> None:
    assert probe.call("register", "kv") == [0, ""]
    assert guest_rt.lookup("kv") == probe.pid
    gme.send("kv", "cmd", ["self", 64])  # a Python process sends by the name
    assert probe.reply()[1] == str(probe.pid)
    other = Probe.spawn(gme)
    assert other.call("register", "kv") == [-4, f"name 'kv' is already registered to "
                                                 f"{probe.pid}"]
    assert other.call("register", "<x") == [
        -1, "a process name must be a non-empty string not starting with '<', got '<x'"]
    assert other.call("unregister", "kv") == [-2, "this process is not registered as 'kv'"]
    assert probe.call("unregister", "kv") == [0, ""]
    assert guest_rt.lookup("kv") is None
    assert other.call("register", "kv") == [0, ""]
    _stop(other)
    assert guest_rt.lookup("kv") is None  # freed at exit
    _stop(probe)


def test_last_error_keeps_the_message_and_the_length_rule(probe: Probe) -> None:
    probe.call("send", "nobody", "t", pack(1))
    message = "no process is registered as 'nobody'"
    assert probe.call("last_error", 200) == [len(message), message]
    assert probe.call("last_error", 4) == [len(message), ""]
    _stop(probe)


def test_a_python_value_messagepack_cannot_hold_is_reported_not_lost(
    gme: Process, probe: Probe
) -> None:
    _receive(probe, "", 5000)
    gme.send(probe.pid, "odd", object())
    gme.send(probe.pid, "fine", 1)
    report = probe.reply()
    assert report[:3] == [1, "odd", str(gme.self)]
    assert report[6] == -6  # current_data: not encodable, topic and sender still readable
    assert probe.call("last_error", 300)[1].startswith("the message's payload cannot be sent")
    assert probe.call("receive", "", 1000)[:4] == [1, "fine", str(gme.self), pack(1)]
    _stop(probe)


def test_an_event_arriving_between_commands_is_reported(gme: Process, probe: Probe) -> None:
    child = gme.spawn("test:core_wait", GHOST, -1)
    probe.call("monitor", str(child))
    gme.terminate(child)
    assert _event(probe)[:3] == [2, EXIT, str(child)]
    _stop(probe)


def test_unknown_commands_are_answered(probe: Probe) -> None:
    assert probe.call("frobnicate") == [-1000, "frobnicate"]
    assert _stop(probe).value == 0
