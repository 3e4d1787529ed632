"""wippy:process from core modules written by hand (process_core.wat): data, errors, memory
traps, cancel, terminate and limits while a guest waits in receive."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.actors.actor_helpers import expect, expect_event, wait_until
from tests.conftest import AppWriter
from tests.guest.guest_helpers import GHOST, core_entry, exit_of
from wippy.actors import EXIT, EntryLoadError, Message, Process, Runtime
from wippy.actors.process_api import GuestPayload
from wippy.config import load_registry
from wippy.wasm import LinkError, WasmRuntime


def test_a_python_send_reaches_a_guest_as_messagepack_and_comes_back(gme: Process) -> None:
    pid = gme.spawn_monitored("test:core_echo", GHOST)
    gme.send(pid, "t", 1, "two", b"\x00\xff", [3.5, None], {"k": True})
    reply = expect(gme, topic="echo")
    assert isinstance(reply, Message) and reply.sender == pid
    # several values arrive as one array; bytes stay bytes (bin)
    assert reply.payload == ([1, "two", b"\x00\xff", [3.5, None], {"k": True}],)
    assert isinstance(reply.payload, GuestPayload)
    gme.send(pid, "t", "one")
    assert expect(gme, topic="echo").payload == ("one",)  # one value: itself
    gme.send(pid, "t")
    assert expect(gme, topic="echo").payload == (None,)  # no value: nil
    gme.send(pid, "t", gme.self)
    assert expect(gme, topic="echo").payload == (str(gme.self),)  # a pid: its string
    gme.cancel(pid)
    assert exit_of(gme, pid).value == 4  # four messages echoed, then CANCEL


def test_guest_data_that_is_not_messagepack_is_refused_at_send(gme: Process) -> None:
    outcomes = {}
    for kind in range(5):
        pid = gme.spawn_monitored("test:core_reply_with", GHOST, kind)
        gme.send(pid, "go")
        outcomes[kind] = exit_of(gme, pid).value
    assert outcomes == {0: 0, 1: -1, 2: -1, 3: -1, 4: 0}
    # only the valid ones were delivered: 42, and no data (an empty payload)
    first = expect(gme, topic="echo")
    second = expect(gme, topic="echo")
    assert (first.payload, second.payload) == ((42,), ())
    assert gme.receive(timeout=0.1, topic="echo") is None


def test_self_returns_the_needed_length_when_the_buffer_is_too_small(gme: Process) -> None:
    pid = gme.spawn_monitored("test:core_self_len", GHOST, 0)
    needed = exit_of(gme, pid).value
    assert needed == len(str(pid))
    pid = gme.spawn_monitored("test:core_self_len", GHOST, 64)
    assert exit_of(gme, pid).value == len(str(pid))


@pytest.mark.parametrize(("method", "code"), [
    ("send_to_nobody", -2),  # a name nobody registered
    ("spawn_unknown", -3),   # an entry that does not exist
    ("no_current", -5),      # nothing received yet
])
def test_errors_are_negative_codes_and_the_guest_goes_on(gme: Process, method: str,
                                                         code: int) -> None:
    pid = gme.spawn_monitored(f"test:core_{method}", GHOST)
    event = exit_of(gme, pid)
    assert event.error is None and event.value == code


@pytest.mark.parametrize(("case", "function", "argument"), [
    (0, "self", "buf"),
    (1, "send", "to"),
    (2, "send", "data"),
    (3, "receive", "topic"),
    (4, "register", "name"),
])
def test_memory_outside_the_guest_traps_it_with_a_clear_message(
    guest_rt: Runtime, gme: Process, case: int, function: str, argument: str
) -> None:
    other = gme.spawn_monitored("test:core_echo", GHOST)  # an innocent bystander
    pid = gme.spawn_monitored("test:core_bad_memory", GHOST, case)
    event = exit_of(gme, pid)
    assert event.error is not None and event.error.kind == "host", event
    assert f"wippy:process.{function}: argument `{argument}`" in event.error.message
    assert "outside" in event.error.message or "out of bounds" in event.error.message
    gme.send(other, "t", 1)  # the other guest and the host carry on
    assert expect(gme, topic="echo").payload == (1,)
    gme.terminate(other)
    expect_event(gme, EXIT, other)


def test_receive_times_out_and_polls(gme: Process) -> None:
    started = time.monotonic()
    pid = gme.spawn_monitored("test:core_wait", GHOST, 150)
    assert exit_of(gme, pid).value == 0
    assert 0.1 < time.monotonic() - started < 5
    pid = gme.spawn_monitored("test:core_wait", GHOST, 0)
    assert exit_of(gme, pid).value == 0  # poll: nothing there


def test_receive_with_a_topic_skips_other_messages_but_takes_events(gme: Process) -> None:
    pid = gme.spawn_monitored("test:core_wait_topic", GHOST, -1)
    gme.send(pid, "other", 1)
    time.sleep(0.1)
    assert gme.is_alive(pid)  # "other" is not its topic: still waiting
    gme.send(pid, "ping", 2)
    assert exit_of(gme, pid).value == 1
    pid = gme.spawn_monitored("test:core_wait_topic", GHOST, -1)
    gme.cancel(pid)  # an event is taken whatever the topic
    assert exit_of(gme, pid).value == 4


def test_a_guest_handles_cancel_within_its_grace(gme: Process) -> None:
    pid = gme.spawn_monitored("test:core_echo", GHOST)
    gme.send(pid, "t", 1)
    expect(gme, topic="echo")
    started = time.monotonic()
    assert gme.cancel(pid, "stop now", grace=10)
    event = exit_of(gme, pid)
    assert event.error is None and event.value == 1  # it returned by itself
    assert time.monotonic() - started < 2


def test_a_guest_waiting_in_receive_is_terminated_at_once(guest_rt: Runtime,
                                                          gme: Process) -> None:
    pid = gme.spawn_monitored("test:core_wait", GHOST, -1)

    def suspended_in_receive() -> bool:
        info = {p.pid: p for p in guest_rt.processes()}.get(pid)
        return info is not None and (info.state, info.on) == ("suspended", "receive")

    wait_until(suspended_in_receive)
    assert guest_rt.host_stats(GHOST).running == 0  # waiting, it holds no worker
    started = time.monotonic()
    gme.terminate(pid)
    event = exit_of(gme, pid)
    assert event.error is not None and event.error.kind == "terminated"
    assert time.monotonic() - started < 0.5
    wait_until(lambda: guest_rt.stats().actors == 0, timeout=5)  # its instance is closed


def test_max_execution_counts_time_spent_waiting_in_receive(gme: Process) -> None:
    started = time.monotonic()
    pid = gme.spawn_monitored("test:core_wait_limited", GHOST, -1)
    event = exit_of(gme, pid)
    elapsed = time.monotonic() - started
    assert event.error is not None and event.error.kind == "timeout", event
    assert "300 ms" in event.error.message
    assert 0.25 < elapsed < 2.0


def test_a_guest_that_does_not_import_the_api_is_ended_by_cancel_at_once(
    no_thread_leak: None, write_app: AppWriter, wasm_runtime: WasmRuntime
) -> None:
    app = write_app(
        {"name": "procs", "kind": "process.host", "host": {"stop_timeout": "10s"},
         "lifecycle": {"auto_start": True}},
        {"name": "sleeper", "kind": "process.wasm", "path": "wasi_c_reactor.wasm",
         "method": "sleep_ms", "imports": ["wasi1"]},
    )
    with Runtime(load_registry(app), wasm=wasm_runtime) as rt, rt.process() as me:
        pid = me.spawn_monitored("test:sleeper", GHOST, 60_000)
        me.cancel(pid)
        event = expect_event(me, EXIT, pid, timeout=2)
        assert event.error is not None and event.error.kind == "shutdown"


def test_an_entry_without_the_profile_fails_at_load_naming_it(
    no_thread_leak: None, write_app: AppWriter, wasm_runtime: WasmRuntime
) -> None:
    app = write_app(
        {"name": "procs", "kind": "process.host", "lifecycle": {"auto_start": True}},
        core_entry("echo", imports=[]),
    )
    with (
        Runtime(load_registry(app), wasm=wasm_runtime) as rt,
        rt.process() as me,
        pytest.raises(EntryLoadError) as info,
    ):
        me.spawn("test:core_echo", GHOST)
    cause = info.value.__cause__
    assert isinstance(cause, LinkError)
    assert "module imports wippy:process." in str(cause)
    assert "add `wippy:process` to `imports`" in str(cause)


def test_check_reports_a_guest_without_the_profile(write_app: AppWriter, tmp_path: Path) -> None:
    from wippy.cli.check import check_app
    from wippy.config import read_app

    app = write_app(
        {"name": "procs", "kind": "process.host"},
        core_entry("echo"),
        core_entry("echo", "bare", imports=[]),
    )
    with WasmRuntime(cache_dir=None) as runtime:
        report = check_app(read_app(app), runtime)
    messages = [str(p) for p in report.problems]
    assert len(messages) == 1 and "test:bare" in messages[0]
    assert "add `wippy:process` to `imports`" in messages[0]
    assert report.modules == 1
