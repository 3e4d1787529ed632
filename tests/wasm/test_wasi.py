"""WASI preview 1 through entries: args, env, mounts (read-only enforced), stdio capture."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import AppWriter
from wippy.config import ConfigError, load_registry
from wippy.wasm import ExitError, WasmRuntime

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
                           tmp_path: Path) -> None:
    app = _mounted(write_app, tmp_path, True, "cat", "/data/hello.txt")
    assert run(wasm_runtime, app, "m") == (0, "hello from the host\n", "")


def test_writable_mount_takes_writes(wasm_runtime: WasmRuntime, write_app: AppWriter,
                                     tmp_path: Path) -> None:
    app = _mounted(write_app, tmp_path, False, "write", "/data/out.txt", "written")
    assert run(wasm_runtime, app, "m")[0] == 0
    assert (tmp_path / "data" / "out.txt").read_text() == "written"


def test_read_only_mount_refuses_writes(wasm_runtime: WasmRuntime, write_app: AppWriter,
                                        tmp_path: Path) -> None:
    app = _mounted(write_app, tmp_path, True, "write", "/data/out.txt", "written")
    status, _, err = run(wasm_runtime, app, "m")
    assert status == 3
    assert err.strip()
    assert not (tmp_path / "data" / "out.txt").exists()


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
    wasm_runtime: WasmRuntime, write_app: AppWriter, tmp_path: Path
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
                  "mounts": [{"fs": "test:data", "guest": "/data", "read_only": True}]}},
    )
    status, out, _ = run(wasm_runtime, app, "r")
    assert status == 3
    assert "rust says: --exit-with-count x y" in out
    assert "hi" in out
    assert out.index("a.txt") < out.index("b.txt")
