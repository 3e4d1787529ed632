"""Helpers for the Lua tests: a small app with inline Lua entries beside real WASM workers."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml

import wippy
from tests.conftest import EXAMPLES, digest
from wippy.actors import Event, Runtime

HOST = "t:procs"
COMPUTE = EXAMPLES / "compute" / "wasm" / "worker.wasm"  # compute(a, b) = a * b
STEPS = EXAMPLES / "supervision" / "wasm" / "worker.wasm"  # steps(n); traps on multiples of 7
ALL_MODULES = ["process", "time", "funcs"]


def lua_entry(name: str, code: str, *, modules: Sequence[str] = ALL_MODULES, method: str = "main",
              **fields: Any) -> dict[str, Any]:
    """A ``process.lua`` entry with inline ``code`` (dedented)."""
    return {"name": name, "kind": "process.lua", "source": textwrap.dedent(code).strip() + "\n",
            "method": method, "modules": list(modules), **fields}


def write_app(folder: Path, *entries: dict[str, Any], workers: int = 4,
              queue_size: int = 1024) -> Path:
    """``app.yaml`` in ``folder`` (namespace ``t``): host ``t:procs`` with ``workers``, a
    terminal, WASM workers ``t:compute`` and ``t:steps``, function ``t:multiply``, and
    ``entries``."""
    (folder / "wasm").mkdir(exist_ok=True)
    for source in (COMPUTE, STEPS):
        target = folder / "wasm" / f"{source.parent.parent.name}.wasm"
        target.write_bytes(source.read_bytes())
    base: list[dict[str, Any]] = [
        {"name": "bin", "kind": "fs.directory", "directory": "./wasm"},
        {"name": "procs", "kind": "process.host",
         "host": {"workers": workers, "queue_size": queue_size},
         "lifecycle": {"auto_start": True}},
        {"name": "term", "kind": "terminal.host"},
        {"name": "compute", "kind": "process.wasm", "fs": "t:bin", "path": "compute.wasm",
         "hash": digest(COMPUTE), "method": "compute"},
        {"name": "steps", "kind": "process.wasm", "fs": "t:bin", "path": "supervision.wasm",
         "hash": digest(STEPS), "method": "steps"},
        {"name": "multiply", "kind": "function.wasm", "fs": "t:bin", "path": "compute.wasm",
         "hash": digest(COMPUTE), "method": "compute"},
    ]
    path = folder / "app.yaml"
    path.write_text(yaml.safe_dump({"version": "1.0", "namespace": "t",
                                    "entries": base + list(entries)}, sort_keys=False))
    return path


@contextmanager
def lua_app(folder: Path, *entries: dict[str, Any], workers: int = 4,
            queue_size: int = 1024) -> Iterator[Runtime]:
    """The started app of :func:`write_app`, stopped afterwards."""
    with wippy.load(write_app(folder, *entries, workers=workers, queue_size=queue_size)) as rt:
        yield rt


def run_lua(folder: Path, code: str, *args: Any, timeout: float = 15.0, **fields: Any) -> Event:
    """Spawns ``code`` (a ``main``) as ``t:main`` with ``args`` and returns its EXIT event."""
    with lua_app(folder, lua_entry("main", code, **fields)) as rt, rt.process() as me:
        pid = me.spawn_monitored("t:main", HOST, *args)
        return exit_of(me, pid, timeout)


def exit_of(me: Any, pid: Any, timeout: float = 15.0) -> Event:
    """The EXIT event of ``pid`` (other items received meanwhile are dropped)."""
    while True:
        item = me.receive(timeout=timeout)
        assert item is not None, f"no EXIT of {pid} within {timeout} s"
        if isinstance(item, Event) and item.type == "EXIT" and item.pid == pid:
            return item
