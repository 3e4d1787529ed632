"""Shared test helpers: write small registries that use the committed fixture binaries."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.actors.actor_helpers import HOST, wippy_threads
from tools.fixture_manifest import pinned
from wippy.actors import Process, Runtime
from wippy.wasm import Program, WasmRuntime
from wippy.wasm.wasmtime.engine import WasmtimeEngine

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "wasm"
EXAMPLES = ROOT / "examples"


__all__ = ["pinned"]  # the manifest's hash of a committed binary (tools/fixture_manifest.py)


def digest(path: Path) -> str:
    """``sha256:<hex>`` of a file a test made; committed binaries use :func:`pinned` instead."""
    return "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()


def call(prog: Program, *args: Any) -> Any:
    """Instantiates ``prog``, calls it once with ``args`` (converted) and closes the instance."""
    instance = prog.instantiate()
    try:
        return instance.call(prog.convert_args(args))
    finally:
        instance.close()


AppWriter = Callable[..., Path]


@pytest.fixture(autouse=True)
def wasm_cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """This test's own compile cache, empty when it starts; every test gets one.

    It is also ``$WIPPY_CACHE_DIR`` for the test, so ``wippy.load()`` without a ``WasmRuntime``
    and the ``wippy`` subprocesses the CLI tests start (they inherit the environment) use it
    rather than the user's ``~/.cache/wippy``, and no test can lean on another's warm cache.
    """
    cache = tmp_path / "wippy-cache"
    monkeypatch.setenv("WIPPY_CACHE_DIR", str(cache))
    return cache


@pytest.fixture
def wasm_runtime(wasm_cache_dir: Path) -> Iterator[WasmRuntime]:
    """A real WebAssembly runtime, closed after the test."""
    with WasmRuntime(cache_dir=wasm_cache_dir) as runtime:
        yield runtime


@pytest.fixture
def core_engine() -> Iterator[WasmtimeEngine]:
    """A wasmtime engine of its own (no compile cache), closed after the test: for programs made
    straight from it (tests/wasm/core_programs.py)."""
    engine = WasmtimeEngine(None)
    try:
        yield engine
    finally:
        engine.close()


@pytest.fixture
def write_app(tmp_path: Path) -> AppWriter:
    """Writes ``app.yaml`` with a ``bin`` fs.directory holding the fixtures, plus ``entries``.

    ``wasm(name, file, method, **fields)`` helpers are not needed: pass entries as dicts; a
    ``process.wasm`` entry without ``hash`` gets its file's hash as pinned in
    ``tests/fixtures/manifest.sha256`` (so a changed binary fails the load), without ``fs`` gets
    ``test:bin``.
    """

    def write(*entries: dict[str, Any], namespace: str = "test") -> Path:
        app = tmp_path / "app"
        app.mkdir(exist_ok=True)
        full: list[dict[str, Any]] = [
            {"name": "bin", "kind": "fs.directory", "directory": str(FIXTURES)}
        ]
        for entry in entries:
            entry = dict(entry)
            if entry.get("kind") == "process.wasm":
                entry.setdefault("fs", f"{namespace}:bin")
                if "hash" not in entry and entry["fs"] == f"{namespace}:bin":
                    entry["hash"] = pinned(FIXTURES / entry["path"])
            full.append(entry)
        document = {"version": "1.0", "namespace": namespace, "entries": full}
        (app / "app.yaml").write_text(yaml.safe_dump(document, sort_keys=False))
        return app

    return write


@pytest.fixture
def no_thread_leak() -> Iterator[None]:
    """Fails the test if a wippy thread started during it is still alive at the end."""
    before = wippy_threads()
    yield
    left = wippy_threads() - before
    assert not left, f"threads left behind: {sorted(t.name for t in left)}"


@pytest.fixture
def rt(no_thread_leak: None) -> Iterator[Runtime]:
    """A runtime with host ``app:processes`` (64 workers); stopped and leak-checked after."""
    runtime = Runtime()
    runtime.add_host(HOST, workers=64, queue_size=4096, stop_timeout=2.0)
    try:
        yield runtime
    finally:
        runtime.stop()
    stats = runtime.stats()
    assert (stats.processes, stats.monitors, stats.links, stats.handles) == (0, 0, 0, 0), stats


@pytest.fixture
def me(rt: Runtime) -> Iterator[Process]:
    """A Python-side process handle on ``rt``."""
    with rt.process() as proc:
        yield proc
