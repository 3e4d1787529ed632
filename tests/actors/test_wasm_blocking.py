"""WebAssembly processes blocked in WASI calls do not hold up each other or Python processes."""

from __future__ import annotations

import time

from tests.conftest import AppWriter
from wippy import load
from wippy.actors import EXIT


def test_200_sleeping_guests_run_side_by_side(write_app: AppWriter) -> None:
    app = write_app(
        {"name": "many", "kind": "process.host", "host": {"workers": 256, "queue_size": 16},
         "lifecycle": {"auto_start": True}},
        {"name": "sleeper", "kind": "process.wasm", "path": "wasi_c_reactor.wasm",
         "method": "sleep_ms", "imports": ["wasi:cli", "wasi:clocks"]},
    )
    with load(app) as rt, rt.process() as me:
        started = time.monotonic()
        pids = {me.spawn_monitored("test:sleeper", "test:many", 1000) for _ in range(200)}
        # a Python process on the same host is not held up either
        quick = me.spawn_function(lambda proc: "quick", "test:many", monitor=True)
        results = {}
        while len(results) < 201:
            event = me.receive(timeout=60)
            assert event is not None and event.type == EXIT
            results[event.pid] = event
            if event.pid == quick:
                quick_after = time.monotonic() - started
        elapsed = time.monotonic() - started
    assert set(results) == pids | {quick}
    assert all(results[pid].value == 1000 and results[pid].error is None for pid in pids)
    assert quick_after < 0.9 * elapsed
    # 200 sequential sleeps would take 200 s; side by side they take about one.
    assert elapsed < 20, elapsed
