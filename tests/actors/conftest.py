"""Fixtures for the process runtime tests: a runtime with one host, handles, leak checks."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.actors.actor_helpers import HOST, wippy_threads
from wippy.actors import Process, Runtime


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
