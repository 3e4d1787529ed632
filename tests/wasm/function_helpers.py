"""Writing apps of function entries over tests/fixtures/wasm/functions.{wasm,wat}."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from tests.conftest import FIXTURES, digest
from wippy.config import Registry, load_registry

FUNCTIONS_WASM = FIXTURES / "functions.wasm"
FUNCTIONS_WAT = FIXTURES / "functions.wat"
FUNCTIONS_HASH = "sha256:ebe0ee9cb976785643471fb1d34f81306aad867754ab84faad2f35d2915a812b"
"""The pinned hash of functions.wasm (tests/fixtures/README.md)."""


def fn_wasm(name: str, method: str, **fields: Any) -> dict[str, Any]:
    """A ``function.wasm`` entry on functions.wasm (through ``t:bin``)."""
    return {"name": name, "kind": "function.wasm", "fs": "t:bin", "path": "/functions.wasm",
            "hash": FUNCTIONS_HASH, "method": method, **fields}


def fn_wat(name: str, method: str, **fields: Any) -> dict[str, Any]:
    """A ``function.wat`` entry whose source is functions.wat (``file://``)."""
    return {"name": name, "kind": "function.wat", "source": f"file://{FUNCTIONS_WAT}",
            "method": method, **fields}


def function_app(folder: Path, *entries: dict[str, Any]) -> Registry:
    """Writes ``folder/app.yaml`` (namespace ``t``, ``t:bin`` = the fixtures) and loads it."""
    assert digest(FUNCTIONS_WASM) == FUNCTIONS_HASH, "functions.wasm changed: rebuild and repin"
    folder.mkdir(parents=True, exist_ok=True)
    document = {"version": "1.0", "namespace": "t", "entries": [
        {"name": "bin", "kind": "fs.directory", "directory": str(FIXTURES)}, *entries]}
    (folder / "app.yaml").write_text(yaml.safe_dump(document, sort_keys=False))
    return load_registry(folder)
