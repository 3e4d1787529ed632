"""Fixtures for the CLI tests: a compile cache and small apps with a terminal host."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import AppWriter

TERMINAL = {"name": "term", "kind": "terminal.host"}

PY_COMMANDS = '''
from wippy.actors import CANCEL, Event

def answer(proc, *args):
    return {"yes": True, "no": False, "none": None, "seven": 7, "big": 300}[args[0]]

def echo(proc, *args):
    return " ".join(args)

def numbers(proc, *args):
    return [int(arg) for arg in args]

def fail(proc):
    raise ValueError("bad input")

def wait_for_cancel(proc):
    print("waiting", flush=True)
    item = proc.receive(timeout=60, match=lambda i: isinstance(i, Event) and i.type == CANCEL)
    print(f"cancelled: {item.reason}", flush=True)
    return "done"
'''


@pytest.fixture
def cache(wasm_cache_dir: Path) -> Path:
    """The test's own compile cache, which the wippy subprocesses it starts use (empty at first)."""
    return wasm_cache_dir


def py_entry(name: str, method: str | None = None) -> dict[str, Any]:
    """A ``process.python`` command ``name`` running ``pycommands.<method>``."""
    return {"name": name, "kind": "process.python", "module": "pycommands",
            "method": method or name, "meta": {"command": {"name": name}}}


@pytest.fixture
def cli_app(write_app: AppWriter) -> AppWriter:
    """Like ``write_app``, plus a terminal host ``test:term`` and ``pycommands.py`` (Python
    command functions) next to ``app.yaml``."""

    def write(*entries: dict[str, Any]) -> Path:
        app = write_app(TERMINAL, *entries)
        (app / "pycommands.py").write_text(PY_COMMANDS)
        return app

    return write
