"""Fixtures for the supervisor tests: a runtime with one host, a journal, a handle."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.actors.actor_helpers import wippy_threads
from tests.supervisors.sup_helpers import HOST, Journal
from wippy.actors import Process, Runtime


@pytest.fixture
def rt() -> Iterator[Runtime]:
    """A runtime with host ``app:processes``; stopped after the test, leaving nothing behind."""
    before = wippy_threads()
    runtime = Runtime()
    runtime.add_host(HOST, workers=8, queue_size=4096, stop_timeout=2.0)
    try:
        yield runtime
    finally:
        runtime.stop()
    stats = runtime.stats()
    assert (stats.processes, stats.monitors, stats.links, stats.handles) == (0, 0, 0, 0), stats
    left = wippy_threads() - before
    assert not left, f"threads left behind: {sorted(t.name for t in left)}"


@pytest.fixture
def journal() -> Journal:
    """Where workers record what they did."""
    return Journal()


@pytest.fixture
def me(rt: Runtime) -> Iterator[Process]:
    """A Python-side process handle on ``rt``."""
    with rt.process() as proc:
        yield proc
