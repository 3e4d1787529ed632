"""The wasmer engine: how it is selected, what it refuses at load, and wasmer-only behaviour.

The behaviour both engines share is tested on both by ``test_execution.py``, ``test_loading.py``
and ``test_wasi.py``; this module covers what differs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import AppWriter, call
from tests.wasm.conftest import WASMER_PROBLEM, needs_wasmer
from wippy.actors import EXIT, EntryLoadError, Runtime
from wippy.config import ConfigError, load_registry
from wippy.wasm import LoadError, Terminated, WasmRuntime
from wippy.wasm.wasmer.core import WasmerProgram


def traps(name: str, method: str = "add", **fields: Any) -> dict[str, Any]:
    return {"name": name, "kind": "process.wasm", "path": "traps.wasm", "method": method,
            **fields}


def host(name: str, **fields: Any) -> dict[str, Any]:
    return {"name": name, "kind": "process.host", "lifecycle": {"auto_start": True}, **fields}


# -- selection (no wasmer needed) ---------------------------------------------------------------


def test_engine_is_the_entrys_else_the_hosts_else_the_runtimes(write_app: AppWriter) -> None:
    registry = load_registry(write_app(
        host("plain"), host("on_wasmer", engine="wasmer"), host("on_wasmtime", engine="wasmtime"),
        traps("free"), traps("pinned", engine="wasmtime"),
    ))
    free = registry.get_as("test:free", type(registry.get("test:pinned")))
    pinned = registry.get_as("test:pinned", type(free))
    with WasmRuntime(cache_dir=None) as default, WasmRuntime(cache_dir=None,
                                                             engine="wasmer") as app:
        assert default.engine_for(registry, free) == "wasmtime"
        assert app.engine_for(registry, free) == "wasmer"
        assert default.engine_for(registry, free, "test:plain") == "wasmtime"
        assert default.engine_for(registry, free, "test:on_wasmer") == "wasmer"
        assert app.engine_for(registry, free, "test:on_wasmtime") == "wasmtime"
        assert default.engine_for(registry, pinned, "test:on_wasmer") == "wasmtime"


def test_unknown_engine_names_are_refused(write_app: AppWriter) -> None:
    with pytest.raises(ConfigError, match="entry test:h: field engine: .*'wasmtime' or 'wasmer'"):
        load_registry(write_app(host("h", engine="wasmr")))
    with pytest.raises(ConfigError, match="entry test:w: field engine"):
        load_registry(write_app(traps("w", engine="v8")))
    with pytest.raises(ValueError, match="unknown engine 'v8' \\(known engines: wasmtime, wasmer"):
        WasmRuntime(cache_dir=None, engine="v8")


@pytest.mark.skipif(WASMER_PROBLEM is None, reason="wasmer is available here")
def test_wasmer_where_it_is_unavailable_is_a_load_error_naming_the_entry(
    write_app: AppWriter,
) -> None:
    registry = load_registry(write_app(traps("w", engine="wasmer")))
    with WasmRuntime(cache_dir=None) as runtime, pytest.raises(LoadError) as err:
        runtime.program(registry, "test:w")
    assert str(err.value).startswith("test:w: engine wasmer: the wasmer engine is not available")
    assert "CPython 3.10" in str(err.value)
    assert err.value.kind == "engine_unavailable"


# -- refused at load -------------------------------------------------------------------------


@needs_wasmer
@pytest.mark.parametrize(
    ("fields", "feature"),
    [
        ({"limits": {"max_execution_ms": 100}}, "limits.max_execution_ms"),
        ({"limits": {"fuel": 1000}}, "limits.fuel"),
        ({"limits": {"max_memory": "1MiB"}}, "limits.max_memory"),
        ({"imports": ["wasi:http"]}, "imports: wasi:http (a WASI preview 2 interface)"),
    ],
)
def test_what_wasmer_cannot_enforce_is_refused_at_load(
    write_app: AppWriter, fields: dict[str, Any], feature: str
) -> None:
    registry = load_registry(write_app(traps("w", engine="wasmer", **fields)))
    with WasmRuntime(cache_dir=None) as runtime, pytest.raises(LoadError) as err:
        runtime.program(registry, "test:w")
    assert str(err.value).startswith(f"test:w: the wasmer engine does not support {feature}")
    assert err.value.kind == "unsupported"


@needs_wasmer
def test_read_only_mount_is_refused_at_load(write_app: AppWriter, tmp_path: Path) -> None:
    app = write_app(
        {"name": "data", "kind": "fs.directory", "directory": str(tmp_path)},
        {"name": "c", "kind": "process.wasm", "path": "wasi_c.wasm", "method": "_start",
         "engine": "wasmer", "imports": ["wasi1"],
         "wasi": {"mounts": [{"fs": "test:data", "guest": "/rw"},
                             {"fs": "test:data", "guest": "/ro", "read_only": True}]}},
    )
    with WasmRuntime(cache_dir=None) as runtime, pytest.raises(
        LoadError, match=r"test:c: the wasmer engine does not support wasi.mounts\[1\].read_only "
        r"\(wasmer cannot mount /ro read-only\)"
    ):
        runtime.program(load_registry(app), "test:c")


@needs_wasmer
def test_components_are_refused_at_load(write_app: AppWriter) -> None:
    app = write_app({"name": "comp", "kind": "process.wasm", "path": "wasi_component.wasm",
                     "method": "run", "engine": "wasmer", "imports": ["wasi:cli"]})
    with WasmRuntime(cache_dir=None) as runtime, pytest.raises(
        LoadError, match="test:comp: the wasmer engine cannot run components"
    ):
        runtime.program(load_registry(app), "test:comp")


# -- wasmer at work -----------------------------------------------------------------------------


@needs_wasmer
def test_host_engine_applies_to_entries_spawned_on_it(
    write_app: AppWriter, wasm_cache_dir: Path
) -> None:
    registry = load_registry(write_app(host("on_wasmer", engine="wasmer"), traps("add")))
    with WasmRuntime(cache_dir=wasm_cache_dir) as runtime:
        on_wasmer = runtime.program(registry, "test:add", "test:on_wasmer")
        default = runtime.program(registry, "test:add")
        assert isinstance(on_wasmer, WasmerProgram)
        assert not isinstance(default, WasmerProgram)
        for program in (on_wasmer, default):
            assert call(program, 20, 22) == 42


@needs_wasmer
def test_each_engine_caches_its_own_artifacts(write_app: AppWriter, tmp_path: Path) -> None:
    registry = load_registry(write_app(traps("a"), traps("b", engine="wasmer")))
    cache = tmp_path / "cache"
    with WasmRuntime(cache_dir=cache) as runtime:
        runtime.program(registry, "test:a")
        runtime.program(registry, "test:b")
    dirs = sorted(path.parent.name.split("-")[0] for path in cache.rglob("*.bin"))
    assert dirs == ["wasmer", "wasmtime"]
    with WasmRuntime(cache_dir=cache, engine="wasmer") as again:
        assert call(again.program(registry, "test:b"), 2, 3) == 5
        assert (again.engine().cache.hits, again.engine().cache.misses) == (1, 0)


@needs_wasmer
def test_interrupt_stops_a_guest_at_its_next_host_call(
    write_app: AppWriter, wasm_cache_dir: Path
) -> None:
    app = write_app({"name": "c", "kind": "process.wasm", "path": "wasi_c.wasm",
                     "method": "_start", "engine": "wasmer", "imports": ["wasi1"],
                     "wasi": {"args": ["args", "one", "two"]}})
    with WasmRuntime(cache_dir=wasm_cache_dir) as runtime:
        program = runtime.program(load_registry(app), "test:c")
        lines: list[bytes] = []

        def first_line_then_stop(data: bytes) -> None:
            lines.append(data)
            instance.interrupt()

        instance = program.instantiate(stdout=first_line_then_stop)
        try:
            with pytest.raises(Terminated, match="test:c: guest terminated"):
                instance.call(())
        finally:
            instance.close()
    assert lines == [b"c\n"]  # argv[0]; the guest was stopped at its next write


@needs_wasmer
def test_wasmer_guests_run_as_processes(write_app: AppWriter, wasm_cache_dir: Path) -> None:
    app = write_app(
        host("processes"),
        traps("add"), traps("unreachable", "unreachable"), traps("fueled", limits={"fuel": 10}),
        {"name": "c", "kind": "process.wasm", "path": "wasi_c.wasm", "method": "_start",
         "imports": ["wasi1"], "wasi": {"args": ["stderr", "from wasmer"]}},
    )
    output: list[tuple[str, bytes]] = []
    wasm = WasmRuntime(cache_dir=wasm_cache_dir, engine="wasmer")  # the app's default engine
    with Runtime(load_registry(app), wasm=wasm,
                 output=lambda pid, stream, data: output.append((stream, data))) as rt, \
            rt.process() as me:
        results = {}
        for entry, args in (("test:add", (20, 22)), ("test:unreachable", ()), ("test:c", ())):
            pid = me.spawn_monitored(entry, "test:processes", *args)
            event = me.receive(timeout=30)
            assert event is not None and event.type == EXIT and event.pid == pid
            results[entry] = event
        with pytest.raises(EntryLoadError, match="test:fueled: the wasmer engine does not "
                           "support limits.fuel"):
            me.spawn("test:fueled", "test:processes")
    wasm.close()
    assert results["test:add"].value == 42
    trap = results["test:unreachable"].error
    assert trap is not None and trap.kind == "trap" and "unreachable" in trap.message
    assert results["test:c"].ok
    assert {stream for stream, _ in output} == {"stderr"}
    assert b"".join(data for _, data in output) == b"from wasmer\n"


def test_a_hosts_engine_applies_when_spawning(write_app: AppWriter, wasm_cache_dir: Path) -> None:
    path = write_app(host("on_wasmer", engine="wasmer"), traps("fueled", limits={"fuel": 1000}))
    registry = load_registry(path)
    with WasmRuntime(cache_dir=wasm_cache_dir) as wasm, Runtime(registry, wasm=wasm) as rt:
        expected = "does not support limits.fuel" if WASMER_PROBLEM is None else "not available"
        with pytest.raises(EntryLoadError, match=expected):
            rt.spawn("test:fueled", "test:on_wasmer", 1, 2)


def test_wippy_load_takes_the_apps_default_engine(write_app: AppWriter) -> None:
    import wippy

    path = write_app(host("plain"), traps("fueled", limits={"fuel": 1000}))
    with wippy.load(path, engine="wasmer") as rt:
        expected = "does not support limits.fuel" if WASMER_PROBLEM is None else "not available"
        with pytest.raises(EntryLoadError, match=expected):
            rt.spawn("test:fueled", "test:plain", 1, 2)
