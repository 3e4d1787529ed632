"""Every test compiles into a cache folder of its own, never the user's ~/.cache/wippy."""

from __future__ import annotations

import os
from pathlib import Path

import wippy
from tests.conftest import AppWriter

ENTRIES = (
    {"name": "procs", "kind": "process.host", "host": {"workers": 2},
     "lifecycle": {"auto_start": True}},
    {"name": "add", "kind": "process.wasm", "path": "traps.wasm", "method": "add"},
)


def test_wippy_load_compiles_into_the_tests_own_empty_cache(
    write_app: AppWriter, wasm_cache_dir: Path, tmp_path: Path
) -> None:
    assert os.environ["WIPPY_CACHE_DIR"] == str(wasm_cache_dir)
    assert wasm_cache_dir.is_relative_to(tmp_path)
    assert not wasm_cache_dir.exists()  # nothing left by another test to start warm from
    with wippy.load(write_app(*ENTRIES)) as rt, rt.process() as me:
        me.spawn_monitored("test:add", "test:procs", 2, 3)
        event = me.receive(timeout=30)
        assert event is not None and getattr(event, "value", None) == 5, event
    assert [p.suffix for p in wasm_cache_dir.rglob("*") if p.is_file()] == [".bin"]
