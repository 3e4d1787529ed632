from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from wippy.wasm import WasmRuntime


@pytest.fixture(scope="session")
def wasm_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("wasm-cache")


@pytest.fixture
def wasm_runtime(wasm_cache_dir: Path) -> Iterator[WasmRuntime]:
    with WasmRuntime(cache_dir=wasm_cache_dir) as runtime:
        yield runtime
