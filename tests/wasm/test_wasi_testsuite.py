"""The official WASI test suite (preview 1), run through real ``process.wasm`` entries.

Each test's JSON spec becomes a registry: an ``fs.directory`` for the binaries, one for each
preopened dir (copied to a temporary folder and mounted at ``/<name>``), ``env.variable`` entries
for its environment and a ``process.wasm`` entry calling ``_start``. Raw wasmtime-py runs the same
binary with the same view of the host in the same test: wherever raw wasmtime passes, wippy must
pass too; where it does not, wippy must fail the same way.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import wasmtime
import yaml

from wippy.config import load_registry
from wippy.wasm import ExitError, TrapError, WasmRuntime

SUITE = Path(__file__).resolve().parents[2].parent / "shared" / "wasi-testsuite"
TESTS = sorted(SUITE.glob("*/*.wasm"))


def _spec(wasm: Path) -> dict[str, Any]:
    spec_file = wasm.with_suffix(".json")
    spec: dict[str, Any] = json.loads(spec_file.read_text()) if spec_file.exists() else {}
    return {
        "args": spec.get("args", []),
        "env": spec.get("env", {}),
        "dirs": spec.get("dirs", []),
        "exit_code": spec.get("exit_code", 0),
        "stdout": spec.get("stdout"),
    }


def _guest_args(spec: dict[str, Any]) -> list[str]:
    return [f"/{a}" if a in spec["dirs"] else a for a in spec["args"]]


def _copy_dirs(wasm: Path, spec: dict[str, Any], into: Path) -> dict[str, Path]:
    copies = {}
    for name in spec["dirs"]:
        target = into / name
        shutil.copytree(wasm.parent / name, target, symlinks=True)
        copies[name] = target
    return copies


def _run_raw(wasm: Path, spec: dict[str, Any], dirs: dict[str, Path]) -> tuple[int, bytes]:
    engine = wasmtime.Engine()
    module = wasmtime.Module.from_file(engine, str(wasm))
    linker = wasmtime.Linker(engine)
    linker.define_wasi()
    store = wasmtime.Store(engine)
    out = bytearray()
    config = wasmtime.WasiConfig()
    config.argv = [wasm.name, *_guest_args(spec)]
    config.env = list(spec["env"].items())
    for name, path in dirs.items():
        config.preopen_dir(str(path), f"/{name}")
    config.stdout_custom = lambda data: out.extend(data) or len(data)
    store.set_wasi(config)
    try:
        linker.instantiate(store, module).exports(store)["_start"](store)
        code = 0
    except wasmtime.ExitTrap as exc:
        code = exc.code
    except (wasmtime.WasmtimeError, wasmtime.Trap):
        code = -1
    return code, bytes(out)


def _write_app(app: Path, wasm: Path, spec: dict[str, Any], dirs: dict[str, Path]) -> None:
    digest = "sha256:" + __import__("hashlib").sha256(wasm.read_bytes()).hexdigest()
    entries: list[dict[str, Any]] = [
        {"name": "bin", "kind": "fs.directory", "directory": str(wasm.parent)},
    ]
    mounts, env = [], []
    for index, (name, path) in enumerate(dirs.items()):
        entries.append({"name": f"dir{index}", "kind": "fs.directory", "directory": str(path)})
        mounts.append({"fs": f"suite:dir{index}", "guest": f"/{name}"})
    for index, (name, value) in enumerate(spec["env"].items()):
        entries.append(
            {
                "name": f"var{index}",
                "kind": "env.variable",
                "variable": f"WIPPY_SUITE_UNSET_{index}",
                "default": value,
            }
        )
        env.append({"id": f"suite:var{index}", "name": name})
    entries.append(
        {
            "name": "test",
            "kind": "process.wasm",
            "fs": "suite:bin",
            "path": wasm.name,
            "hash": digest,
            "method": "_start",
            "imports": ["wasi1"],
            "wasi": {"args": _guest_args(spec), "env": env, "mounts": mounts},
        }
    )
    app.mkdir()
    (app / "app.yaml").write_text(
        yaml.safe_dump({"version": "1.0", "namespace": "suite", "entries": entries})
    )


def _run_wippy(runtime: WasmRuntime, app: Path) -> tuple[int, bytes]:
    registry = load_registry(app)
    program = runtime.program(registry, "suite:test")
    out = bytearray()
    instance = program.instantiate(stdout=out.extend)
    try:
        instance.call(())
        code = 0
    except ExitError as exc:
        code = exc.status
    except TrapError:
        code = -1
    finally:
        instance.close()
    return code, bytes(out)


def test_suite_is_present() -> None:
    assert len(TESTS) >= 58, f"expected the WASI test suite at {SUITE}"


@pytest.mark.parametrize("wasm", TESTS, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_wasi_suite(wasm: Path, tmp_path: Path, wasm_runtime: WasmRuntime) -> None:
    spec = _spec(wasm)
    raw_dirs = _copy_dirs(wasm, spec, tmp_path / "raw")
    raw = _run_raw(wasm, spec, raw_dirs)
    dirs = _copy_dirs(wasm, spec, tmp_path / "wippy")
    _write_app(tmp_path / "app", wasm, spec, dirs)
    ours = _run_wippy(wasm_runtime, tmp_path / "app")

    expected_stdout = spec["stdout"].encode() if spec["stdout"] is not None else None
    raw_passes = raw[0] == spec["exit_code"] and expected_stdout in (None, raw[1])
    if raw_passes:
        assert ours[0] == spec["exit_code"], ours[1].decode(errors="replace")
        if expected_stdout is not None:
            assert ours[1] == expected_stdout
    else:
        assert ours == raw, "wippy must fail the same way raw wasmtime does"
