"""WebAssembly processes: Init instantiates, Step calls, Close closes on every path."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.actors.actor_helpers import HOST, FakeInstance, FakeProgram, expect_event, wait_until
from tests.conftest import AppWriter
from wippy.actors import (
    EXIT,
    EntryLoadError,
    HostState,
    Pid,
    Process,
    Runtime,
    SpawnArgumentError,
    UnknownEntryError,
)
from wippy.config import load_registry
from wippy.wasm import LoadError, TrapError, WasmRuntime


def test_fake_wasm_process_returns_its_result(rt: Runtime, me: Process) -> None:
    program = FakeProgram(lambda args, inst: sum(args))
    rt.add_program("t:fake", program)
    pid = me.spawn_monitored("t:fake", HOST, 20, 22)
    assert expect_event(me, EXIT, pid).value == 42
    wait_until(lambda: program.closed == program.instances)  # Close follows the EXIT
    assert len(program.instances) == 1


def test_guest_error_keeps_its_kind_and_instance_is_closed(rt: Runtime, me: Process) -> None:
    def trap(args: tuple[Any, ...], inst: FakeInstance) -> None:
        raise TrapError("t:fake: unreachable")

    program = FakeProgram(trap)
    rt.add_program("t:fake", program)
    pid = me.spawn_monitored("t:fake", HOST)
    event = expect_event(me, EXIT, pid)
    assert event.error is not None and (event.error.kind, event.error.message) == (
        "trap",
        "t:fake: unreachable",
    )
    wait_until(lambda: len(program.closed) == 1)


def test_instantiate_failure_is_the_exit_error(rt: Runtime, me: Process) -> None:
    program = FakeProgram(lambda args, inst: 0)
    program.fail_instantiate = LoadError("t:fake: cannot instantiate")
    rt.add_program("t:fake", program)
    pid = me.spawn_monitored("t:fake", HOST)
    event = expect_event(me, EXIT, pid)
    assert event.error is not None and event.error.kind == "load"


def test_terminate_interrupts_a_running_guest(rt: Runtime, me: Process) -> None:
    def spin(args: tuple[Any, ...], inst: FakeInstance) -> None:
        inst.sleep(30)

    program = FakeProgram(spin)
    rt.add_program("t:fake", program)
    pid = me.spawn_monitored("t:fake", HOST)
    while not program.instances:
        time.sleep(0.01)
    me.terminate(pid)
    assert expect_event(me, EXIT, pid).error.kind == "terminated"  # type: ignore[union-attr]
    deadline = time.monotonic() + 5
    while not program.closed and time.monotonic() < deadline:
        time.sleep(0.01)
    assert program.closed == program.instances


def test_guest_output_is_routed_with_the_pid(no_thread_leak: None) -> None:
    lines: list[tuple[Pid, str, bytes]] = []
    with Runtime(output=lambda pid, stream, data: lines.append((pid, stream, data))) as rt:
        rt.add_host(HOST)
        rt.add_program("t:fake", FakeProgram(lambda args, inst: 1))
        with rt.process() as me:
            pid = me.spawn_monitored("t:fake", HOST)
            expect_event(me, EXIT, pid)
    assert lines == [(pid, "stdout", b"started\n")]


# -- the real engine ------------------------------------------------------------------------


def traps_entry(method: str) -> dict[str, Any]:
    return {"name": method, "kind": "process.wasm", "path": "traps.wasm", "method": method}


@pytest.fixture
def app(write_app: AppWriter) -> Path:
    return write_app(
        {
            "name": "processes",
            "kind": "process.host",
            "host": {"workers": 8, "queue_size": 64, "stop_timeout": "1s"},
            "lifecycle": {"auto_start": True},
        },
        {"name": "idle", "kind": "process.host"},
        traps_entry("add"),
        traps_entry("unreachable"),
        traps_entry("busy"),
    )


@pytest.fixture
def wasm_rt(no_thread_leak: None, app: Path, wasm_runtime: WasmRuntime) -> Iterator[Runtime]:
    with Runtime(load_registry(app), wasm=wasm_runtime) as runtime:
        yield runtime
    assert runtime.stats().processes == 0


def test_registry_hosts_are_created(wasm_rt: Runtime) -> None:
    assert wasm_rt.hosts["test:processes"].workers == 8
    assert wasm_rt.hosts["test:processes"].stop_timeout == 1.0
    assert wasm_rt.host_stats("test:processes").state is HostState.RUNNING
    assert wasm_rt.host_stats("test:idle").state is HostState.STOPPED


def test_real_guest_result_and_trap(wasm_rt: Runtime) -> None:
    with wasm_rt.process() as me:
        ok = me.spawn_monitored("test:add", "test:processes", 20, 22)
        assert expect_event(me, EXIT, ok).value == 42
        bad = me.spawn_monitored("test:unreachable", "test:processes")
        event = expect_event(me, EXIT, bad)
        assert event.error is not None and event.error.kind == "trap"


def test_real_guest_spawn_errors(wasm_rt: Runtime) -> None:
    with wasm_rt.process() as me:
        with pytest.raises(SpawnArgumentError, match="add"):
            me.spawn("test:add", "test:processes", "x", 1)
        with pytest.raises(UnknownEntryError):
            me.spawn("test:nope", "test:processes")
        with pytest.raises(UnknownEntryError):
            me.spawn("test:processes", "test:processes")  # not a process.wasm


def test_real_busy_guest_is_terminated(wasm_rt: Runtime) -> None:
    with wasm_rt.process() as me:
        pid = me.spawn_monitored("test:busy", "test:processes")
        time.sleep(0.2)
        me.terminate(pid)
        event = expect_event(me, EXIT, pid)
        assert event.error is not None and event.error.kind == "terminated"


def test_real_busy_guest_is_terminated_by_shutdown(
    no_thread_leak: None, app: Path, wasm_runtime: WasmRuntime
) -> None:
    rt = Runtime(load_registry(app), wasm=wasm_runtime)
    watcher = rt.process()
    pid = watcher.spawn_monitored("test:busy", "test:processes")
    time.sleep(0.1)
    started = time.monotonic()
    rt.stop()
    assert time.monotonic() - started < 10
    assert not rt.is_alive(pid)


def test_load_failure_is_a_spawn_error(write_app: AppWriter, wasm_runtime: WasmRuntime) -> None:
    app = write_app(
        {"name": "p", "kind": "process.host", "lifecycle": {"auto_start": True}},
        {**traps_entry("add"), "hash": "sha256:" + "0" * 64},
    )
    with (
        Runtime(load_registry(app), wasm=wasm_runtime) as rt,
        rt.process() as me,
        pytest.raises(EntryLoadError, match="test:add"),
    ):
        me.spawn("test:add", "test:p", 1, 2)
