"""Shared test helpers: write small registries that use the committed fixture binaries."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from wippy.wasm import WasmRuntime

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "wasm"
EXAMPLES = ROOT / "examples"


def digest(path: Path) -> str:
    """``sha256:<hex>`` of a file."""
    return "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()


AppWriter = Callable[..., Path]


@pytest.fixture(scope="session")
def wasm_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A compile cache shared by the whole test session (later loads are cache hits)."""
    return tmp_path_factory.mktemp("wasm-cache")


@pytest.fixture
def wasm_runtime(wasm_cache_dir: Path) -> Iterator[WasmRuntime]:
    """A real WebAssembly runtime, closed after the test."""
    with WasmRuntime(cache_dir=wasm_cache_dir) as runtime:
        yield runtime


@pytest.fixture
def write_app(tmp_path: Path) -> AppWriter:
    """Writes ``app.yaml`` with a ``bin`` fs.directory holding the fixtures, plus ``entries``.

    ``wasm(name, file, method, **fields)`` helpers are not needed: pass entries as dicts; a
    ``process.wasm`` entry without ``hash`` gets the real hash of its file, without ``fs`` gets
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
                    entry["hash"] = digest(FIXTURES / entry["path"])
            full.append(entry)
        document = {"version": "1.0", "namespace": namespace, "entries": full}
        (app / "app.yaml").write_text(yaml.safe_dump(document, sort_keys=False))
        return app

    return write
