"""Function entries called synchronously: results, errors, pools, limits, threads."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest

from tests.wasm.function_helpers import fn_wasm, fn_wat, function_app
from wippy.wasm import (
    ArgumentError,
    ExecutionTimeout,
    FuelExhausted,
    Function,
    FunctionBusyError,
    FunctionClosedError,
    TrapError,
    WasmRuntime,
)

BOTH_ENGINES = True

SLOW = 3 * 10**8  # spin(SLOW) runs for about half a second on this machine
FOREVER = 10**12  # spin(FOREVER) runs until a limit stops it


def make(runtime: WasmRuntime, tmp_path: Path, *entries: dict[str, Any]) -> Function:
    """The function of the first entry, in an app of ``entries``."""
    registry = function_app(tmp_path / "app", *entries)
    return runtime.function(registry, f"t:{entries[0]['name']}")


def test_a_function_wasm_entry_is_called_and_returns_its_result(
    wasm_runtime: WasmRuntime, tmp_path: Path
) -> None:
    add = make(wasm_runtime, tmp_path, fn_wasm("add", "add"))
    assert add.call(6, 7) == 13
    assert add.call("6", "-7") == -1
    assert str(add.signature) == "add(i32, i32) -> i32"


def test_a_function_wat_entry_is_called_like_a_binary(wasm_runtime: WasmRuntime,
                                                      tmp_path: Path) -> None:
    add = make(wasm_runtime, tmp_path, fn_wat("add", "add"))
    assert add.call(20, 22) == 42
    inline = make(wasm_runtime, tmp_path / "inline", {
        "name": "answer", "kind": "function.wat", "method": "answer",
        "source": '(module (func (export "answer") (result i32) i32.const 42))'})
    assert inline.call() == 42


def test_the_same_function_object_serves_every_caller(wasm_runtime: WasmRuntime,
                                                      tmp_path: Path) -> None:
    registry = function_app(tmp_path, fn_wasm("add", "add"))
    found: list[Function] = []
    threads = [threading.Thread(target=lambda: found.append(
        wasm_runtime.function(registry, "t:add"))) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({id(function) for function in found}) == 1


def test_arguments_are_checked_before_an_instance_is_taken(wasm_runtime: WasmRuntime,
                                                           tmp_path: Path) -> None:
    add = make(wasm_runtime, tmp_path, fn_wasm("add", "add"))
    with pytest.raises(ArgumentError, match=r"add takes 2 arguments but got 1: signature"):
        add.call(1)
    with pytest.raises(ArgumentError, match=r"argument 1 \('0x10'\) is not a valid i32"):
        add.call("0x10", 1)
    assert add.stats().created == 0


def test_a_guest_error_is_raised_naming_the_entry_and_its_instance_is_discarded(
    wasm_runtime: WasmRuntime, tmp_path: Path, engine: str
) -> None:
    fail_if = make(wasm_runtime, tmp_path, fn_wasm("f", "fail_if", pool={"type": "lazy"}))
    assert fail_if.call(0) == 1
    with pytest.raises(TrapError, match=r"^t:f: guest trapped: .*unreachable") as info:
        fail_if.call(1)
    assert info.value.kind == "trap"
    assert fail_if.call(0) == 1  # a fresh instance: its counter starts again
    stats = fail_if.stats()
    assert (stats.created, stats.discarded) == ((2, 1) if engine == "wasmtime" else (3, 3))


@pytest.mark.engines("wasmtime")
def test_a_lazy_pool_reuses_its_instances(wasm_runtime: WasmRuntime, tmp_path: Path) -> None:
    count = make(wasm_runtime, tmp_path, fn_wasm("c", "count", pool={"type": "lazy",
                                                                     "max_size": 2}))
    assert [count.call() for _ in range(3)] == [1, 2, 3]
    stats = count.stats()
    assert (stats.idle, stats.busy, stats.capacity, stats.created) == (1, 0, 2, 1)


def test_an_inline_pool_makes_an_instance_per_call(wasm_runtime: WasmRuntime,
                                                   tmp_path: Path) -> None:
    count = make(wasm_runtime, tmp_path, fn_wasm("c", "count", pool={"type": "inline"}))
    assert [count.call() for _ in range(3)] == [1, 1, 1]
    stats = count.stats()
    assert (stats.idle, stats.capacity, stats.created, stats.discarded) == (0, None, 3, 3)


@pytest.mark.engines("wasmtime")
def test_a_static_pool_makes_its_instances_up_front(wasm_runtime: WasmRuntime,
                                                    tmp_path: Path) -> None:
    count = make(wasm_runtime, tmp_path, fn_wasm("c", "count", pool={"type": "static",
                                                                     "size": 3}))
    assert (count.stats().idle, count.stats().created) == (3, 3)
    assert [count.call() for _ in range(4)] == [1, 2, 3, 4]  # the last one made is used first
    assert count.stats().created == 3


@pytest.mark.engines("wasmtime")
def test_concurrent_calls_share_the_pool_up_to_its_size(wasm_runtime: WasmRuntime,
                                                        tmp_path: Path) -> None:
    spin = make(wasm_runtime, tmp_path, fn_wasm("s", "spin", pool={"type": "lazy",
                                                                   "max_size": 2}))
    results: list[int] = []
    busiest = 0

    def work() -> None:
        results.append(spin.call(SLOW // 4))

    threads = [threading.Thread(target=work) for _ in range(6)]
    for thread in threads:
        thread.start()
    while any(thread.is_alive() for thread in threads):
        busiest = max(busiest, spin.stats().busy)
        time.sleep(0.005)
    assert results == [SLOW // 4] * 6
    stats = spin.stats()
    assert busiest == 2 and stats.created == 2 and stats.busy == 0


@pytest.mark.engines("wasmtime")
def test_a_call_waits_for_a_free_instance_then_gives_up_clearly(wasm_runtime: WasmRuntime,
                                                                tmp_path: Path) -> None:
    spin = make(wasm_runtime, tmp_path, fn_wasm(
        "s", "spin", pool={"type": "lazy", "max_size": 1, "wait_timeout": "200ms"}))
    slow = threading.Thread(target=spin.call, args=(SLOW * 2,))
    slow.start()
    while spin.stats().busy == 0:
        time.sleep(0.001)
    started = time.monotonic()
    with pytest.raises(FunctionBusyError) as info:
        spin.call(1)
    waited = time.monotonic() - started
    slow.join()
    assert 0.18 <= waited < 0.6, waited
    assert str(info.value) == ("t:s: all 1 instances of its lazy pool of 1 are busy; no call "
                               "ended within 0.2 s (raise the pool's size or wait_timeout)")
    assert info.value.kind == "busy"
    assert spin.call(5) == 5  # the slow call gave its instance back


@pytest.mark.engines("wasmtime")
def test_a_waiting_call_gets_the_instance_given_back(wasm_runtime: WasmRuntime,
                                                     tmp_path: Path) -> None:
    count = make(wasm_runtime, tmp_path, fn_wasm("s", "spin", pool={"type": "lazy",
                                                                    "max_size": 1}))
    slow = threading.Thread(target=count.call, args=(SLOW,))
    slow.start()
    while count.stats().busy == 0:
        time.sleep(0.001)
    assert count.call(3) == 3  # waited for the slow call, then reused its instance
    slow.join()
    assert count.stats().created == 1


@pytest.mark.engines("wasmtime")
def test_fuel_is_a_budget_per_call(wasm_runtime: WasmRuntime, tmp_path: Path) -> None:
    spin = make(wasm_runtime, tmp_path, fn_wasm("s", "spin", limits={"fuel": 100_000},
                                                pool={"type": "lazy", "max_size": 1}))
    assert [spin.call(10_000) for _ in range(5)] == [10_000] * 5  # ~60% of the budget each
    assert spin.stats().created == 1  # one instance, its fuel refilled before each call
    with pytest.raises(FuelExhausted, match=r"^t:s: fuel budget of 100000 exhausted"):
        spin.call(100_000)


@pytest.mark.engines("wasmtime")
def test_the_time_limit_is_per_call(wasm_runtime: WasmRuntime, tmp_path: Path) -> None:
    spin = make(wasm_runtime, tmp_path, fn_wasm(
        "s", "spin", limits={"max_execution_ms": 300}, pool={"type": "static", "size": 2}))
    assert spin.call(1) == 1
    time.sleep(0.4)  # longer than the limit: a deadline counted from the pool's start is gone
    assert spin.call(2) == 2
    started = time.monotonic()
    with pytest.raises(ExecutionTimeout, match=r"^t:s: execution time limit of 300 ms exceeded"):
        spin.call(FOREVER)
    assert 0.25 < time.monotonic() - started < 1.5
    assert spin.call(3) == 3


def test_a_closed_function_refuses_calls(tmp_path: Path, wasm_cache_dir: Path,
                                         engine: str) -> None:
    registry = function_app(tmp_path, fn_wasm("add", "add"))
    with WasmRuntime(cache_dir=wasm_cache_dir, engine=engine) as runtime:
        add = runtime.function(registry, "t:add")
        assert add.call(1, 2) == 3
    with pytest.raises(FunctionClosedError, match="t:add: the function is closed"):
        add.call(1, 2)


def test_only_function_entries_are_functions(wasm_runtime: WasmRuntime, tmp_path: Path) -> None:
    registry = function_app(tmp_path, {"name": "p", "kind": "process.wasm", "fs": "t:bin",
                                       "path": "functions.wasm",
                                       "hash": fn_wasm("x", "add")["hash"], "method": "add"})
    with pytest.raises(TypeError, match="entry t:p is a process.wasm, not a function.wasm or "
                                        "function.wat"):
        wasm_runtime.function(registry, "t:p")
    with pytest.raises(TypeError, match="not a process.wasm"):
        wasm_runtime.program(function_app(tmp_path / "b", fn_wasm("f", "add")), "t:f")


@pytest.mark.engines("wasmtime")
def test_a_function_entry_cannot_be_spawned_as_a_process(wasm_runtime: WasmRuntime,
                                                         tmp_path: Path) -> None:
    from wippy.actors import Runtime, UnknownEntryError

    registry = function_app(tmp_path, fn_wasm("add", "add"), {"name": "h", "kind": "process.host",
                                                              "lifecycle": {"auto_start": True}})
    refused = pytest.raises(UnknownEntryError, match="entry 't:add' cannot be spawned: entry "
                                                     "t:add is a function.wasm, not a process")
    with Runtime(registry, wasm=wasm_runtime) as rt, rt.process() as me, refused:
        me.spawn("t:add", "t:h", 1, 2)
