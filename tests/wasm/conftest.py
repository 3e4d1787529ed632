"""Runs the engine tests against both engines.

A module with ``BOTH_ENGINES = True`` gets every test that uses ``wasm_runtime`` or ``engine``
once per engine (ids ``[wasmtime]`` and ``[wasmer]``); ``@pytest.mark.engines("wasmtime")``
keeps a test to the engines named (what the others cannot do is tested as refused at load in
``test_wasmer.py``). The wasmer half is skipped, saying why, where wasmer-python does not work
(any Python but CPython 3.10); with ``WIPPY_REQUIRE_WASMER=1`` (set by ``make test``'s Python
3.10 run) that is a failure instead.
"""

from __future__ import annotations

import os
import platform
from collections.abc import Iterator
from pathlib import Path

import pytest

from wippy.wasm import WasmRuntime
from wippy.wasm.runtime import ENGINES
from wippy.wasm.wasmer.engine import WasmerUnavailable, load_wasmer


def wasmer_problem() -> str | None:
    """Why wasmer cannot run here, or None when it can."""
    try:
        load_wasmer()
    except WasmerUnavailable as exc:
        return str(exc)
    return None


WASMER_PROBLEM = wasmer_problem()
REQUIRE_WASMER = os.environ.get("WIPPY_REQUIRE_WASMER") == "1"
needs_wasmer = pytest.mark.skipif(
    WASMER_PROBLEM is not None and not REQUIRE_WASMER,
    reason=f"wasmer unavailable on Python {platform.python_version()} (make test runs it on 3.10)",
)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "engines(*names): run only on these engines")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if not getattr(metafunc.module, "BOTH_ENGINES", False):
        return
    if not {"wasm_runtime", "engine"} & set(metafunc.fixturenames):
        return
    marker = metafunc.definition.get_closest_marker("engines")
    names = marker.args if marker is not None else ENGINES
    params = [
        pytest.param(name, marks=needs_wasmer) if name == "wasmer" else name for name in names
    ]
    metafunc.parametrize("engine", params)


@pytest.fixture
def engine() -> str:
    """The engine a test runs on (parametrized in modules with ``BOTH_ENGINES``)."""
    return "wasmtime"


@pytest.fixture
def wasm_runtime(wasm_cache_dir: Path, engine: str) -> Iterator[WasmRuntime]:
    """A real WebAssembly runtime whose default engine is ``engine``, closed after the test."""
    with WasmRuntime(cache_dir=wasm_cache_dir, engine=engine) as runtime:
        yield runtime
