"""wippy:process from a component through the WIT interface wippy:process/process@0.1.0
(process_component.c against the canonical ABI): results, variants, options and flags."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from tests.actors.actor_helpers import expect, wait_until
from tests.conftest import AppWriter
from tests.guest.guest_helpers import GHOST, exit_of, guest_entries, pack
from wippy.actors import EntryLoadError, Message, Process, Runtime
from wippy.actors.process_api import WIT_PATH
from wippy.config import load_registry
from wippy.wasm import LinkError, WasmRuntime

COMPONENT = {"name": "comp", "kind": "process.wasm", "path": "process_component.wasm",
             "method": "serve", "imports": ["wippy:process"]}


@pytest.fixture
def crt(no_thread_leak: None, write_app: AppWriter,
        wasm_runtime: WasmRuntime) -> Iterator[Runtime]:
    app = write_app(*guest_entries(), COMPONENT)
    with Runtime(load_registry(app), wasm=wasm_runtime) as runtime:
        yield runtime
    assert runtime.stats().processes == 0


@pytest.fixture
def cme(crt: Runtime) -> Iterator[Process]:
    with crt.process() as proc:
        yield proc


def _ask(me: Process, pid: object, topic: str, data: object = None) -> object:
    me.send(pid, topic, data)  # type: ignore[arg-type]
    item = expect(me, topic=topic)
    assert isinstance(item, Message) and item.sender == pid
    (value,) = item.payload
    return value


def test_a_component_echoes_messages_and_ends_on_cancel(cme: Process) -> None:
    pid = cme.spawn_monitored("test:comp", GHOST)
    assert _ask(cme, pid, "echo", {"k": [1, b"\x01"]}) == {"k": [1, b"\x01"]}
    cme.send(pid, "echo", 1, 2)
    assert expect(cme, topic="echo").payload == ([1, 2],)
    started = time.monotonic()
    cme.cancel(pid, grace=10)
    event = exit_of(cme, pid)
    assert event.error is None and event.value == 2  # it saw CANCEL and returned
    assert time.monotonic() - started < 2


def test_self_send_errors_spawn_register_and_monitor(crt: Runtime, cme: Process) -> None:
    pid = cme.spawn_monitored("test:comp", GHOST)
    assert _ask(cme, pid, "whoami") == str(pid)
    assert _ask(cme, pid, "bad") == "no process is registered as 'nobody'"
    assert _ask(cme, pid, "spawn", "test:nope") == [
        False, "no program entry 'test:nope' in the registry"]
    ok, child = _ask(cme, pid, "spawn", "test:core_echo")  # type: ignore[misc]
    assert ok is True and child.startswith(f"<{GHOST}.")
    assert _ask(cme, pid, "register", "comp") == [True, None]
    assert crt.lookup("comp") == pid
    assert _ask(cme, pid, "register", "comp") == [True, None]  # its own name again: fine
    other = cme.spawn("test:core_wait", GHOST, -1)
    assert _ask(cme, pid, "monitor", str(other)) == [True, None]
    cme.terminate(other)
    report = expect(cme, topic="exit")
    assert report.payload == ([str(other), "terminated"],)
    # the spawned child (monitored by the component) is still waiting: end it
    cme.cancel(child)
    assert expect(cme, topic="exit").payload == ([child, None],)
    cme.terminate(pid)
    exit_of(cme, pid)


def test_receive_with_a_topic_and_a_timeout(cme: Process) -> None:
    pid = cme.spawn_monitored("test:comp", GHOST)
    started = time.monotonic()
    assert _ask(cme, pid, "wait") == 0  # case 0: timeout
    assert 0.04 < time.monotonic() - started < 3
    cme.terminate(pid)
    exit_of(cme, pid)


def test_a_component_blocked_in_receive_is_terminated_at_once(crt: Runtime,
                                                              cme: Process) -> None:
    pid = cme.spawn_monitored("test:comp", GHOST)
    assert _ask(cme, pid, "whoami") == str(pid)  # it runs, then waits in receive
    started = time.monotonic()
    cme.terminate(pid)
    event = exit_of(cme, pid)
    assert event.error is not None and event.error.kind == "terminated"
    assert time.monotonic() - started < 0.5
    wait_until(lambda: crt.stats().threads == 0, timeout=5)  # its thread is free again


def test_a_component_without_the_profile_fails_at_load(
    no_thread_leak: None, write_app: AppWriter, wasm_runtime: WasmRuntime
) -> None:
    app = write_app(*guest_entries(), {**COMPONENT, "imports": []})
    with (
        Runtime(load_registry(app), wasm=wasm_runtime) as rt,
        rt.process() as me,
        pytest.raises(EntryLoadError) as info,
    ):
        me.spawn("test:comp", GHOST)
    cause = info.value.__cause__
    assert isinstance(cause, LinkError)
    assert str(cause) == (
        "test:comp: component imports wippy:process/process@0.1.0, which its entry does not "
        "enable; add `wippy:process` to `imports`")


def test_the_wit_file_ships_with_the_package() -> None:
    text = WIT_PATH.read_text()
    assert "package wippy:process@0.1.0;" in text and "interface process" in text
    assert pack(1) == b"\x01"
