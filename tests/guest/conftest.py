"""Fixtures of the wippy:process tests: a runtime of guests using it, and a handle on it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import AppWriter
from tests.guest.guest_helpers import guest_entries
from wippy.actors import Process, Runtime
from wippy.config import load_registry
from wippy.wasm import WasmRuntime


@pytest.fixture
def guest_rt(no_thread_leak: None, write_app: AppWriter,
             wasm_runtime: WasmRuntime) -> Iterator[Runtime]:
    """A runtime of the guest entries (host ``test:procs``), checked for leaks after."""
    app = write_app(*guest_entries())
    with Runtime(load_registry(app), wasm=wasm_runtime) as runtime:
        yield runtime
    stats = runtime.stats()
    assert (stats.processes, stats.monitors, stats.links) == (0, 0, 0), stats


@pytest.fixture
def gme(guest_rt: Runtime) -> Iterator[Process]:
    """A handle on the guest runtime."""
    with guest_rt.process() as proc:
        yield proc
