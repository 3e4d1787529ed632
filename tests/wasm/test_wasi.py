"""WASI preview 1 through entries: args, env, mounts (read-only enforced), stdio capture.

Runs on both engines; read-only mounts are wasmtime's alone (wasmer refuses them at load, see
``test_wasmer.py``), so tests that only read a mount mount it writable on wasmer.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import AppWriter, digest
from wippy.config import ConfigError, load_registry
from wippy.wasm import ExitError, WasmRuntime

BOTH_ENGINES = True
ALL = ["wasi:cli", "wasi:filesystem", "wasi:clocks", "wasi:io"]


def c_entry(name: str, args: list[str], **wasi: Any) -> dict[str, Any]:
    return {"name": name, "kind": "process.wasm", "path": "wasi_c.wasm", "method": "_start",
            "imports": ALL, "wasi": {"args": args, **wasi}}


def run(runtime: WasmRuntime, app: Path, name: str) -> tuple[int, str, str]:
    prog = runtime.program(load_registry(app), f"test:{name}")
    out, err = bytearray(), bytearray()
    instance = prog.instantiate(stdout=out.extend, stderr=err.extend)
    try:
        instance.call(())
        status = 0
    except ExitError as exc:
        status = exc.status
    finally:
        instance.close()
    return status, out.decode(), err.decode()


def test_args_reach_the_guest(wasm_runtime: WasmRuntime, write_app: AppWriter) -> None:
    app = write_app(c_entry("a", ["args", "one", "two words"]))
    status, out, _ = run(wasm_runtime, app, "a")
    assert status == 0
    assert out.splitlines()[1:] == ["args", "one", "two words"]


def test_env_comes_from_env_variable_entries(
    wasm_runtime: WasmRuntime, write_app: AppWriter, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WIPPY_TEST_GREETING", "from the host")
    monkeypatch.setenv("WIPPY_TEST_AMBIENT", "must not leak")
    app = write_app(
        {"name": "greeting", "kind": "env.variable", "variable": "WIPPY_TEST_GREETING"},
        {"name": "fallback", "kind": "env.variable", "variable": "WIPPY_TEST_UNSET_X",
         "default": "the default"},
        c_entry("g", ["env", "GREETING"],
                env=[{"id": "test:greeting", "name": "GREETING"},
                     {"id": "test:fallback", "name": "FALLBACK"}]),
        c_entry("f", ["env", "FALLBACK"], env=[{"id": "test:fallback", "name": "FALLBACK"}]),
        c_entry("leak", ["env", "WIPPY_TEST_AMBIENT"]),
    )
    assert run(wasm_runtime, app, "g")[1] == "from the host\n"
    assert run(wasm_runtime, app, "f")[1] == "the default\n"
    assert run(wasm_runtime, app, "leak")[1] == "<unset>\n"


def test_missing_required_env_is_an_error_naming_it(
    wasm_runtime: WasmRuntime, write_app: AppWriter
) -> None:
    app = write_app(
        {"name": "secret", "kind": "env.variable", "variable": "WIPPY_TEST_NEVER_SET"},
        c_entry("s", ["env", "SECRET"], env=[{"id": "test:secret", "name": "SECRET",
                                              "required": True}]),
    )
    with pytest.raises(ConfigError, match="test:secret"):
        run(wasm_runtime, app, "s")


def _mounted(write_app: AppWriter, tmp_path: Path, read_only: bool, *args: str) -> Path:
    data = tmp_path / "data"
    data.mkdir(exist_ok=True)
    (data / "hello.txt").write_text("hello from the host\n")
    return write_app(
        {"name": "data", "kind": "fs.directory", "directory": str(data)},
        c_entry("m", list(args),
                mounts=[{"fs": "test:data", "guest": "/data", "read_only": read_only}]),
    )


def test_mount_is_readable(wasm_runtime: WasmRuntime, write_app: AppWriter,
                           tmp_path: Path, engine: str) -> None:
    app = _mounted(write_app, tmp_path, engine != "wasmer", "cat", "/data/hello.txt")
    assert run(wasm_runtime, app, "m") == (0, "hello from the host\n", "")


def test_writable_mount_takes_writes(wasm_runtime: WasmRuntime, write_app: AppWriter,
                                     tmp_path: Path) -> None:
    app = _mounted(write_app, tmp_path, False, "write", "/data/out.txt", "written")
    assert run(wasm_runtime, app, "m")[0] == 0
    assert (tmp_path / "data" / "out.txt").read_text() == "written"


@pytest.mark.engines("wasmtime")
def test_read_only_mount_refuses_writes(wasm_runtime: WasmRuntime, write_app: AppWriter,
                                        tmp_path: Path) -> None:
    app = _mounted(write_app, tmp_path, True, "write", "/data/out.txt", "written")
    status, _, err = run(wasm_runtime, app, "m")
    assert status == 3
    assert err.strip()
    assert not (tmp_path / "data" / "out.txt").exists()


@pytest.mark.engines("wasmtime")
def test_read_only_mount_refuses_overwriting(wasm_runtime: WasmRuntime, write_app: AppWriter,
                                            tmp_path: Path) -> None:
    app = _mounted(write_app, tmp_path, True, "write", "/data/hello.txt", "clobbered")
    assert run(wasm_runtime, app, "m")[0] == 3
    assert (tmp_path / "data" / "hello.txt").read_text() == "hello from the host\n"


def test_guest_sees_no_host_files(wasm_runtime: WasmRuntime, write_app: AppWriter) -> None:
    app = write_app(c_entry("x", ["cat", "/etc/passwd"]))
    status, out, _ = run(wasm_runtime, app, "x")
    assert status != 0
    assert out == ""


def test_stdout_and_stderr_are_captured_separately(
    wasm_runtime: WasmRuntime, write_app: AppWriter, capfd: pytest.CaptureFixture[str]
) -> None:
    app = write_app(c_entry("e", ["stderr", "to the error stream"]))
    status, out, err = run(wasm_runtime, app, "e")
    assert (status, out) == (0, "")
    assert "to the error stream" in err
    captured = capfd.readouterr()
    assert "to the error stream" not in captured.err + captured.out


def test_exit_status_of_a_command(wasm_runtime: WasmRuntime, write_app: AppWriter) -> None:
    app = write_app(c_entry("x", ["exit", "5"]))
    assert run(wasm_runtime, app, "x")[0] == 5


def test_rust_guest_with_args_env_and_mount(
    wasm_runtime: WasmRuntime, write_app: AppWriter, tmp_path: Path, engine: str
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    for name in ("b.txt", "a.txt"):
        (data / name).write_text(name)
    app = write_app(
        {"name": "data", "kind": "fs.directory", "directory": str(data)},
        {"name": "greeting", "kind": "env.variable", "variable": "WIPPY_TEST_UNSET_G",
         "default": "hi"},
        {"name": "r", "kind": "process.wasm", "path": "wasi_rust.wasm", "method": "_start",
         "imports": ["wasi1"],
         "wasi": {"args": ["--exit-with-count", "x", "y"],
                  "env": [{"id": "test:greeting", "name": "GREETING"}],
                  "mounts": [{"fs": "test:data", "guest": "/data",
                              "read_only": engine != "wasmer"}]}},
    )
    status, out, _ = run(wasm_runtime, app, "r")
    assert status == 3
    assert "rust says: --exit-with-count x y" in out
    assert "hi" in out
    assert out.index("a.txt") < out.index("b.txt")


STDIO_WAT = """(module
  (import "wasi_snapshot_preview1" "fd_read" (func $read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_renumber" (func $renumber (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  ;; Reads up to 256 bytes of stdin (iovec at 0, buffer at 64, count at 16), writes them to
  ;; stdout and returns how many were read.
  (func (export "echo") (result i32)
    (i32.store (i32.const 0) (i32.const 64))
    (i32.store (i32.const 4) (i32.const 256))
    (drop (call $read (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 16)))
    (i32.store (i32.const 4) (i32.load (i32.const 16)))
    (drop (call $write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 20)))
    (i32.load (i32.const 16)))
  ;; Moves stdout to descriptor 5 (fd_renumber), then writes "five" to 5 and "one" to 1;
  ;; returns the errno of fd_renumber.
  (data (i32.const 512) "fiveone")
  (func (export "move_stdout") (result i32)
    (local $errno i32)
    (local.set $errno (call $renumber (i32.const 1) (i32.const 5)))
    (i32.store (i32.const 0) (i32.const 512))
    (i32.store (i32.const 4) (i32.const 4))
    (drop (call $write (i32.const 5) (i32.const 0) (i32.const 1) (i32.const 20)))
    (i32.store (i32.const 0) (i32.const 516))
    (i32.store (i32.const 4) (i32.const 3))
    (drop (call $write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 20)))
    (local.get $errno)))
"""


def _stdio_program(runtime: WasmRuntime, write_app: AppWriter, tmp_path: Path,
                   method: str) -> Any:
    import wasmtime

    built = tmp_path / "built"
    built.mkdir(exist_ok=True)
    (built / "stdio.wasm").write_bytes(wasmtime.wat2wasm(STDIO_WAT))
    app = write_app(
        {"name": "built", "kind": "fs.directory", "directory": str(built)},
        {"name": method, "kind": "process.wasm", "fs": "test:built", "path": "stdio.wasm",
         "hash": digest(built / "stdio.wasm"), "method": method, "imports": ["wasi1"]},
    )
    return runtime.program(load_registry(app), f"test:{method}")


def test_stdin_is_what_the_caller_gives(
    wasm_runtime: WasmRuntime, write_app: AppWriter, tmp_path: Path,
    capfd: pytest.CaptureFixture[str],
) -> None:
    prog = _stdio_program(wasm_runtime, write_app, tmp_path, "echo")
    out = bytearray()
    instance = prog.instantiate(stdout=out.extend, stdin=b"given to the guest")
    try:
        assert instance.call(()) == len(b"given to the guest")
    finally:
        instance.close()
    assert out == b"given to the guest"
    instance = prog.instantiate(stdout=out.extend)  # no stdin: empty, never wippy's own
    try:
        assert instance.call(()) == 0
    finally:
        instance.close()
    assert "given to the guest" not in capfd.readouterr().out


def test_stdout_moved_to_another_descriptor_stays_with_the_caller(
    wasm_runtime: WasmRuntime, write_app: AppWriter, tmp_path: Path,
    capfd: pytest.CaptureFixture[str],
) -> None:
    prog = _stdio_program(wasm_runtime, write_app, tmp_path, "move_stdout")
    out = bytearray()
    instance = prog.instantiate(stdout=out.extend)
    try:
        errno = instance.call(())
    finally:
        instance.close()
    # Moved (errno 0): only the write to 5 is stdout; refused (5 is not open): only the one to 1.
    assert out == (b"five" if errno == 0 else b"one")
    captured = capfd.readouterr()
    assert "five" not in captured.out + captured.err
    assert "one" not in captured.out + captured.err


def test_reactor_is_initialized_then_called_repeatedly(
    wasm_runtime: WasmRuntime, write_app: AppWriter
) -> None:
    app = write_app(*[
        {"name": method, "kind": "process.wasm", "path": "wasi_c_reactor.wasm",
         "method": method, "imports": ALL}
        for method in ("hello", "sleep_ms")
    ])
    registry = load_registry(app)
    out = bytearray()
    instance = wasm_runtime.program(registry, "test:hello").instantiate(stdout=out.extend)
    try:
        assert instance.call(()) == 0
        assert instance.call(()) == 0
    finally:
        instance.close()
    assert out == b"hello from C\nhello from C\n"
    sleeper = wasm_runtime.program(registry, "test:sleep_ms").instantiate()
    try:
        assert sleeper.call((20,)) == 20
    finally:
        sleeper.close()
