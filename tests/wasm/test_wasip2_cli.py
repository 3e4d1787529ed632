"""WASI preview 2 in components: arguments, environment, stdio, exit, files, clocks, random,
and the entry's limits (tests/fixtures/wasm/wasi_p2.wasm and wasi_component.wasm)."""

from __future__ import annotations

import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import AppWriter
from wippy.actors import EXIT, Event, Pid, Runtime
from wippy.config import load_registry
from wippy.wasm import (
    ExecutionTimeout,
    ExitError,
    FuelExhausted,
    Program,
    TrapError,
    WasmRuntime,
)

P2 = ["wasi:cli", "wasi:clocks", "wasi:filesystem", "wasi:random", "wasi:http", "wasi:sockets"]


def p2_entry(method: str, name: str = "p2", **fields: Any) -> dict[str, Any]:
    return {"name": name, "kind": "process.wasm", "path": "wasi_p2.wasm", "method": method,
            "imports": P2, **fields}


def program(runtime: WasmRuntime, write_app: AppWriter, method: str, *extra: dict[str, Any],
            name: str = "p2", **fields: Any) -> Program:
    """The ``test:<name>`` entry of wasi_p2.wasm (programs are kept per entry id)."""
    app = write_app(*extra, p2_entry(method, name, **fields))
    return runtime.program(load_registry(app), f"test:{name}")


def run(prog: Program, *args: Any, stdin: bytes = b"") -> Any:
    instance = prog.instantiate(stdin=stdin)
    try:
        return instance.call(prog.convert_args(args))
    finally:
        instance.close()


def test_args_are_the_entry_name_then_wasi_args(
    wasm_runtime: WasmRuntime, write_app: AppWriter
) -> None:
    prog = program(wasm_runtime, write_app, "args", wasi={"args": ["a b", "ü", ""]})
    assert run(prog) == ["p2", "a b", "ü", ""]


def test_env_holds_only_the_entry_variables(
    wasm_runtime: WasmRuntime, write_app: AppWriter, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WIPPY_TEST_GREETING", "hi")
    monkeypatch.setenv("WIPPY_TEST_SECRET", "no")
    app = write_app(
        {"name": "greeting", "kind": "env.variable", "variable": "WIPPY_TEST_GREETING"},
        {"name": "c", "kind": "process.wasm", "path": "wasi_component.wasm", "method": "get-env",
         "imports": ["wasi:cli", "wasi:clocks", "wasi:filesystem"],
         "wasi": {"env": [{"id": "test:greeting", "name": "GREETING"}], "cwd": "/work"}},
    )
    prog = wasm_runtime.program(load_registry(app), "test:c")
    assert run(prog, "GREETING") == "hi"
    assert run(prog, "PWD") == "/work"
    assert run(prog, "WIPPY_TEST_SECRET") is None
    assert run(prog, "PATH") is None


def test_stdin_is_empty_unless_given(wasm_runtime: WasmRuntime, write_app: AppWriter) -> None:
    prog = program(wasm_runtime, write_app, "read-stdin")
    assert run(prog) == ""
    assert run(prog, stdin=b"dear guest\n" * 1000) == "dear guest\n" * 1000


def test_stdout_and_stderr_are_captured_per_process(
    wasm_runtime: WasmRuntime, write_app: AppWriter
) -> None:
    app = write_app(
        {"name": "c", "kind": "process.wasm", "path": "wasi_component.wasm",
         "method": "log-stderr", "imports": ["wasi:cli", "wasi:clocks", "wasi:filesystem"]},
        {"name": "hello", "kind": "process.wasm", "path": "wasi_component.wasm",
         "method": "hello", "imports": ["wasi:cli", "wasi:clocks", "wasi:filesystem"]},
    )
    seen: dict[tuple[Pid, str], bytes] = defaultdict(bytes)

    def output(pid: Pid, stream: str, data: bytes) -> None:
        seen[pid, stream] += data

    with Runtime(load_registry(app), wasm=wasm_runtime, output=output) as rt:
        rt.add_host("test:h", workers=32)
        with rt.process() as me:
            texts = {me.spawn_monitored("test:c", "test:h", f"line {i}\n"): i for i in range(20)}
            hello = me.spawn_monitored("test:hello", "test:h")
            for _ in range(21):
                event = me.receive(timeout=10)
                assert isinstance(event, Event) and event.type == EXIT and event.error is None
    for pid, i in texts.items():
        assert seen[pid, "stderr"] == f"line {i}\n".encode()
        assert (pid, "stdout") not in seen
    assert seen[hello, "stdout"] == b"hello from C\n"
    assert (hello, "stderr") not in seen


def test_exit_zero_ends_normally_and_other_codes_fail(
    wasm_runtime: WasmRuntime, write_app: AppWriter
) -> None:
    prog = program(wasm_runtime, write_app, "exit-with")
    assert run(prog, 0) is None
    # wasi:cli/exit in preview 2 carries only success or failure: every other code is 1.
    with pytest.raises(ExitError) as err:
        run(prog, 3)
    assert err.value.status == 1
    assert str(err.value) == "test:p2: guest exited with status 1"


def test_mounts_are_read_only_when_asked(
    wasm_runtime: WasmRuntime, write_app: AppWriter, tmp_path: Path
) -> None:
    ro, rw = tmp_path / "ro", tmp_path / "rw"
    ro.mkdir()
    rw.mkdir()
    (ro / "keep.txt").write_text("original")
    dirs = [{"name": n, "kind": "fs.directory", "directory": str(d)} for n, d in
            (("ro", ro), ("rw", rw))]
    mounts = {"mounts": [{"fs": "test:ro", "guest": "/ro", "read_only": True},
                         {"fs": "test:rw", "guest": "/rw"}]}
    write = program(wasm_runtime, write_app, "write-file", *dirs, wasi=mounts)
    assert run(write, "/rw/new.txt", "written") == {"ok": None}
    assert (rw / "new.txt").read_text() == "written"
    assert run(write, "/ro/keep.txt", "changed") == {"err": "Operation not permitted"}
    assert run(write, "/ro/new.txt", "x") == {"err": "Operation not permitted"}
    assert (ro / "keep.txt").read_text() == "original"
    assert sorted(p.name for p in ro.iterdir()) == ["keep.txt"]
    # outside every mount: no capability (ENOTCAPABLE)
    assert run(write, "/elsewhere/x", "x") == {"err": "Capabilities insufficient"}
    read = program(wasm_runtime, write_app, "read-count", *dirs, name="read", wasi=mounts)
    assert run(read, "/ro/keep.txt") == {"ok": 8}


def test_sleep_uses_the_clock(wasm_runtime: WasmRuntime, write_app: AppWriter) -> None:
    prog = program(wasm_runtime, write_app, "sleep-ms")
    started = time.monotonic()
    assert run(prog, 150) == 150
    assert time.monotonic() - started >= 0.14


def test_random_bytes_differ_between_calls(
    wasm_runtime: WasmRuntime, write_app: AppWriter
) -> None:
    prog = program(wasm_runtime, write_app, "random-bytes")
    a, b = run(prog, 64), run(prog, 64)
    assert isinstance(a, bytes) and len(a) == len(b) == 64
    assert a != b


def test_limits_apply_to_components(wasm_runtime: WasmRuntime, write_app: AppWriter) -> None:
    fuel = program(wasm_runtime, write_app, "random-bytes", limits={"fuel": 100_000})
    with pytest.raises(FuelExhausted, match="fuel budget of 100000 exhausted"):
        run(fuel, 1_000_000)
    memory = program(wasm_runtime, write_app, "random-bytes", name="memory",
                     limits={"max_memory": "1MiB"})
    assert len(run(memory, 100_000)) == 100_000
    # The guest cannot grow past the limit; malloc fails and it aborts. wasmtime-py shows no
    # component's memories, so this is reported as the guest's own trap, not as `memory`.
    with pytest.raises(TrapError, match="unreachable"):
        run(memory, 4_000_000)
    slow = program(wasm_runtime, write_app, "sleep-ms", name="slow",
                   limits={"max_execution_ms": 200})
    started = time.monotonic()
    with pytest.raises(ExecutionTimeout, match="test:slow: execution time limit of 200 ms"):
        run(slow, 1000)
    # Without a process around it, the call itself reports the timeout once the sleep returns.
    assert time.monotonic() - started < 5


def test_deadline_watch_reports_a_guest_blocked_in_a_host_call(
    wasm_runtime: WasmRuntime, write_app: AppWriter
) -> None:
    """The watchdog behind ``max_execution_ms`` for processes: it fires at the deadline while
    the preview 2 sleep still holds the thread; the call then fails the same way."""
    prog = program(wasm_runtime, write_app, "sleep-ms", name="watched",
                   limits={"max_execution_ms": 200})
    instance = prog.instantiate()
    reports: list[tuple[float, BaseException]] = []
    instance.watch_overdue(lambda exc: reports.append((time.monotonic(), exc)))
    started = time.monotonic()
    try:
        with pytest.raises(ExecutionTimeout, match="test:watched: execution time limit of 200"):
            instance.call(prog.convert_args([1200]))
        returned = time.monotonic()
    finally:
        instance.close()
    assert len(reports) == 1
    at, error = reports[0]
    assert isinstance(error, ExecutionTimeout)
    assert str(error) == "test:watched: execution time limit of 200 ms exceeded"
    assert 0.15 < at - started < 0.8  # at the deadline ...
    assert returned - started > 1.0  # ... while the call itself came back when the sleep ended
