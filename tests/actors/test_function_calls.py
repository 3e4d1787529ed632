"""``rt.call`` and ``proc.call``: function entries called synchronously through the runtime."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from tests.wasm.function_helpers import fn_wasm, function_app
from wippy.actors import EXIT, Process, Runtime, UnknownEntryError
from wippy.wasm import TrapError


def runtime(tmp_path: Path) -> Runtime:
    registry = function_app(
        tmp_path,
        {"name": "h", "kind": "process.host", "lifecycle": {"auto_start": True}},
        fn_wasm("add", "add"),
        fn_wasm("counter", "count", pool={"type": "lazy", "max_size": 2}),
        fn_wasm("fail_if", "fail_if"),
    )
    return Runtime(registry)


def test_rt_call_returns_the_result_or_raises_the_guest_error(tmp_path: Path) -> None:
    with runtime(tmp_path) as rt:
        assert rt.call("t:add", 20, 22) == 42
        with pytest.raises(TrapError, match="t:fail_if"):
            rt.call("t:fail_if", 1)
        with pytest.raises(UnknownEntryError, match="t:nope"):
            rt.call("t:nope")
        with pytest.raises(UnknownEntryError, match="not a function"):
            rt.call("t:h")


def test_proc_call_from_a_function_process(tmp_path: Path) -> None:
    def caller(proc: Process) -> int:
        return int(proc.call("t:add", 40, 2))

    with runtime(tmp_path) as rt, rt.process() as me:
        pid = me.spawn_function(caller, "t:h", monitor=True)
        event = me.receive(timeout=10)
        assert event is not None and event.type == EXIT and event.pid == pid
        assert event.value == 42
        assert me.call("t:add", 1, 2) == 3


def test_calls_from_many_threads_share_the_pool(tmp_path: Path) -> None:
    """A lazy pool of two instances serves 8 threads x 50 calls: every call counts on one of at
    most two instances, so the counters' sum is the number of calls."""
    results: list[int] = []
    lock = threading.Lock()
    with runtime(tmp_path) as rt:

        def work() -> None:
            for _ in range(50):
                value = rt.call("t:counter")
                with lock:
                    results.append(value)

        threads = [threading.Thread(target=work) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert len(results) == 400
    # Each instance counts its own calls 1, 2, 3, ...: the values are two runs 1..a and 1..b
    # (or one run 1..400) with a + b = 400 -- no call was lost or served by a third instance.
    counts = {value: results.count(value) for value in set(results)}
    longest = max(results)
    shorter = sum(1 for c in counts.values() if c == 2)
    assert set(counts.values()) <= {1, 2}
    assert sorted(counts) == list(range(1, longest + 1))
    assert shorter + longest == 400
