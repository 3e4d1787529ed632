"""Loading entries: reading through fs.directory, hash checks, imports, exports, the cache.

Runs on both engines; each keeps its own compiled artifacts in the cache.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import FIXTURES, AppWriter, digest, pinned
from wippy.config import ConfigError, load_registry
from wippy.wasm import HashMismatchError, LinkError, LoadError, WasmRuntime

BOTH_ENGINES = True


def entry(name: str, path: str, method: str, **fields: Any) -> dict[str, Any]:
    return {"name": name, "kind": "process.wasm", "path": path, "method": method, **fields}


def load(runtime: WasmRuntime, app: Path, name: str) -> Any:
    return runtime.program(load_registry(app), f"test:{name}")


def test_hash_mismatch_refuses_the_entry(wasm_runtime: WasmRuntime, write_app: AppWriter) -> None:
    wrong = "sha256:" + "0" * 64
    app = write_app(entry("w", "traps.wasm", "add", hash=wrong))
    with pytest.raises(HashMismatchError) as err:
        load(wasm_runtime, app, "w")
    actual = pinned(FIXTURES / "traps.wasm")
    assert str(err.value) == f"hash mismatch for test:w: expected {wrong}, got {actual}"


def test_corrupt_wasm_is_a_load_error(
    wasm_runtime: WasmRuntime, write_app: AppWriter, tmp_path: Path
) -> None:
    bad = tmp_path / "bin"
    bad.mkdir()
    data = bytearray((FIXTURES / "traps.wasm").read_bytes())
    data[len(data) // 2] ^= 0xFF
    data[len(data) // 2 + 1] ^= 0xFF
    (bad / "corrupt.wasm").write_bytes(bytes(data))
    (bad / "text.wasm").write_bytes(b"hello, not wasm")
    app = write_app(
        {"name": "badbin", "kind": "fs.directory", "directory": str(bad)},
        entry("corrupt", "corrupt.wasm", "add", fs="test:badbin",
              hash=digest(bad / "corrupt.wasm")),
        entry("text", "text.wasm", "add", fs="test:badbin", hash=digest(bad / "text.wasm")),
    )
    with pytest.raises(LoadError, match="test:corrupt: invalid WebAssembly"):
        load(wasm_runtime, app, "corrupt")
    with pytest.raises(LoadError, match="test:text: not a WebAssembly binary"):
        load(wasm_runtime, app, "text")


def test_missing_export_lists_the_exports(wasm_runtime: WasmRuntime, write_app: AppWriter) -> None:
    app = write_app(entry("m", "traps.wasm", "nope"))
    with pytest.raises(LinkError, match=r"test:m: module exports no function `nope` \(exported "
                       r"functions: add, add64, .*\)"):
        load(wasm_runtime, app, "m")


def test_unprovided_import_is_named(wasm_runtime: WasmRuntime, write_app: AppWriter) -> None:
    app = write_app(entry("n", "needs_env.wasm", "run"))
    with pytest.raises(LinkError, match="test:n: module imports env.missing_function, which no "
                       "host interface provides"):
        load(wasm_runtime, app, "n")


def test_wasi_import_needs_its_profile(wasm_runtime: WasmRuntime, write_app: AppWriter) -> None:
    app = write_app(entry("p", "proc_exit.wasm", "exit_with"))
    with pytest.raises(LinkError, match="test:p: module imports wasi_snapshot_preview1.proc_exit, "
                       "which its entry does not enable; add `wasi:cli`"):
        load(wasm_runtime, app, "p")


def test_filesystem_calls_need_the_filesystem_profile(
    wasm_runtime: WasmRuntime, write_app: AppWriter
) -> None:
    app = write_app(entry("c", "wasi_c.wasm", "_start", imports=["wasi:cli", "wasi:clocks"]))
    with pytest.raises(LinkError, match="add `wasi:filesystem`"):
        load(wasm_runtime, app, "c")


def test_path_escaping_the_directory_is_refused_at_load(write_app: AppWriter) -> None:
    app = write_app(entry("e", "../../conftest.py", "add", hash=pinned(FIXTURES / "traps.wasm")))
    with pytest.raises(ConfigError) as err:
        load_registry(app)
    text = str(err.value)
    assert "entry test:e: field path: path '../../conftest.py' escapes the directory" in text


def test_symlink_escaping_the_directory_is_refused_at_load(
    write_app: AppWriter, tmp_path: Path
) -> None:
    inner = tmp_path / "inner"
    inner.mkdir()
    (inner / "link.wasm").symlink_to(FIXTURES / "traps.wasm")
    app = write_app(
        {"name": "inner", "kind": "fs.directory", "directory": str(inner)},
        entry("l", "link.wasm", "add", fs="test:inner", hash=pinned(FIXTURES / "traps.wasm")),
    )
    with pytest.raises(ConfigError, match="entry test:l: field path: .*resolves through a "
                       "symlink .* outside the directory"):
        load_registry(app)


def test_file_swapped_for_an_escaping_symlink_after_load_is_refused(
    wasm_runtime: WasmRuntime, write_app: AppWriter, tmp_path: Path
) -> None:
    inner = tmp_path / "inner"
    inner.mkdir()
    (inner / "w.wasm").write_bytes((FIXTURES / "traps.wasm").read_bytes())
    app = write_app(
        {"name": "inner", "kind": "fs.directory", "directory": str(inner)},
        entry("l", "w.wasm", "add", fs="test:inner", hash=pinned(FIXTURES / "traps.wasm")),
    )
    registry = load_registry(app)
    (inner / "w.wasm").unlink()
    (inner / "w.wasm").symlink_to(FIXTURES / "traps.wasm")
    with pytest.raises(LoadError, match="test:l: .*outside the directory"):
        wasm_runtime.program(registry, "test:l")


def test_second_start_loads_from_the_cache(
    write_app: AppWriter, tmp_path: Path, engine: str
) -> None:
    app = write_app(entry("a", "traps.wasm", "add"))
    cache = tmp_path / "cache"
    with WasmRuntime(cache_dir=cache, engine=engine) as first:
        load(first, app, "a")
        assert (first.engine().cache.hits, first.engine().cache.misses) == (0, 1)
    with WasmRuntime(cache_dir=cache, engine=engine) as second:
        prog = load(second, app, "a")
        assert (second.engine().cache.hits, second.engine().cache.misses) == (1, 0)
        instance = prog.instantiate()
        assert instance.call((2, 3)) == 5
        instance.close()


@pytest.mark.parametrize("damage", ["truncate", "flip", "garbage"])
def test_corrupt_cache_entry_is_recompiled(
    write_app: AppWriter, tmp_path: Path, damage: str, engine: str
) -> None:
    app = write_app(entry("a", "traps.wasm", "add"))
    cache = tmp_path / "cache"
    with WasmRuntime(cache_dir=cache, engine=engine) as first:
        load(first, app, "a")
    [cached] = list(cache.rglob("*.bin"))
    blob = bytearray(cached.read_bytes())
    if damage == "truncate":
        blob = blob[: len(blob) // 2]
    elif damage == "flip":
        blob[-100] ^= 0x55
    else:
        blob = bytearray(b"garbage")
    cached.write_bytes(bytes(blob))
    with WasmRuntime(cache_dir=cache, engine=engine) as second:
        prog = load(second, app, "a")
        assert (second.engine().cache.hits, second.engine().cache.misses) == (0, 1)  # recompiled
        instance = prog.instantiate()
        assert instance.call((2, 3)) == 5
        instance.close()
    assert cached.read_bytes() != bytes(blob)  # the damaged entry was replaced ...
    with WasmRuntime(cache_dir=cache, engine=engine) as third:
        prog = load(third, app, "a")
        # ... by one that passes its checksum and deserializes
        assert (third.engine().cache.hits, third.engine().cache.misses) == (1, 0)
        instance = prog.instantiate()
        assert instance.call((2, 3)) == 5
        instance.close()


def test_programs_are_shared_between_spawns(
    wasm_runtime: WasmRuntime, write_app: AppWriter
) -> None:
    registry = load_registry(write_app(entry("a", "traps.wasm", "add")))
    assert wasm_runtime.program(registry, "test:a") is wasm_runtime.program(registry, "test:a")


def test_a_changed_entry_gets_a_new_program(
    wasm_runtime: WasmRuntime, write_app: AppWriter
) -> None:
    first = load_registry(write_app(entry("a", "traps.wasm", "add")))
    program = wasm_runtime.program(first, "test:a")
    second = load_registry(write_app(entry("a", "traps.wasm", "noop")))
    changed = wasm_runtime.program(second, "test:a")
    assert changed is not program
    assert changed.signature.params == () and program.signature.params != ()


def test_cache_can_be_disabled(write_app: AppWriter, engine: str) -> None:
    app = write_app(entry("a", "traps.wasm", "add"))
    with WasmRuntime(cache_dir=None, engine=engine) as runtime:
        load(runtime, app, "a")
        assert runtime.engine().cache.directory is None
