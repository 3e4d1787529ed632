"""Running core modules: arguments, results, traps, exits, limits and host-function errors.

Runs on both engines; limits and preemptive interruption are wasmtime's alone (wasmer refuses
them at load, see ``test_wasmer.py``).
"""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from tests.conftest import AppWriter, call
from wippy.config import load_registry
from wippy.wasm import (
    ArgumentError,
    ExecutionTimeout,
    ExitError,
    FuelExhausted,
    HostFunctionError,
    HostModule,
    MemoryLimitExceeded,
    Program,
    Terminated,
    TrapError,
    WasmRuntime,
)

BOTH_ENGINES = True


def traps(method: str, **fields: Any) -> dict[str, Any]:
    return {"name": method, "kind": "process.wasm", "path": "traps.wasm", "method": method,
            **fields}


def program(runtime: WasmRuntime, write_app: AppWriter, *entries: dict[str, Any]) -> Program:
    registry = load_registry(write_app(*entries))
    return runtime.program(registry, f"test:{entries[0]['name']}")


@pytest.mark.parametrize(
    ("method", "args", "expected"),
    [
        ("add", (20, 22), 42),
        ("add", ("20", "22"), 42),
        ("add", ("-20", "0"), -20),
        ("add", ("4294967295", "0"), -1),
        ("add", (0xFFFFFFFF, 0), -1),
        ("add64", (2**40, 1), 2**40 + 1),
        ("addf", (1.5, 2), 3.5),
        ("addf", ("-1.5", ".5e1"), 3.5),
        ("addf32", (1.5, 0.25), 1.75),
        ("noop", (), None),
        ("pair", (), [1, 2]),
    ],
)
def test_numbers_convert_both_ways(
    wasm_runtime: WasmRuntime, write_app: AppWriter, method: str, args: tuple[Any, ...],
    expected: Any,
) -> None:
    assert call(program(wasm_runtime, write_app, traps(method)), *args) == expected


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((1,), "add takes 2 arguments but got 1: signature add(i32, i32) -> i32"),
        ((1, 2, 3), "add takes 2 arguments but got 3"),
        (("x", 1), "argument 1 ('x') is not a valid i32: not an integer"),
        (("six", 1), "argument 1 ('six') is not a valid i32: not an integer"),
        (("0x10", 1), "argument 1 ('0x10') is not a valid i32: not an integer"),
        ((" 6", 1), "argument 1 (' 6') is not a valid i32: not an integer"),
        (("1_000", 1), "argument 1 ('1_000') is not a valid i32: not an integer"),
        (("+6", 1), "argument 1 ('+6') is not a valid i32: not an integer"),
        (("True", 1), "argument 1 ('True') is not a valid i32: not an integer"),
        ((True, 1), "argument 1 (True) is not a valid i32: bool is not an integer (pass 1 or 0)"),
        ((2**32, 1), "argument 1 (4294967296) is not a valid i32: 4294967296 does not fit"),
        ((1.5, 1), "argument 1 (1.5) is not a valid i32"),
        (([1], 1), "argument 1 ([1]) is not a valid i32: list is not an integer"),
    ],
)
def test_wrong_arguments_name_the_export_and_signature(
    wasm_runtime: WasmRuntime, write_app: AppWriter, args: tuple[Any, ...], message: str
) -> None:
    prog = program(wasm_runtime, write_app, traps("add"))
    with pytest.raises(ArgumentError, match="signature add\\(i32, i32\\) -> i32") as err:
        prog.convert_args(args)
    assert message in str(err.value)


@pytest.mark.parametrize("text", ["1_000", " 6", "inf", "nan", "0x10", "1e", "six"])
def test_float_text_must_be_plain_decimal(
    wasm_runtime: WasmRuntime, write_app: AppWriter, text: str
) -> None:
    prog = program(wasm_runtime, write_app, traps("addf"))
    with pytest.raises(ArgumentError) as err:
        prog.convert_args((text, 1))
    assert f"argument 1 ({text!r}) is not a valid f64: not a number" in str(err.value)


@pytest.mark.parametrize(
    ("method", "args", "message"),
    [
        ("unreachable", (), "unreachable"),
        ("div_zero", (0,), "integer divide by zero"),
        ("oob", (), "out of bounds memory access"),
        ("stack_overflow", (), "call stack exhausted"),
    ],
)
def test_traps_are_errors_with_the_trap_message(
    wasm_runtime: WasmRuntime, write_app: AppWriter, method: str, args: tuple[Any, ...],
    message: str,
) -> None:
    prog = program(wasm_runtime, write_app, traps(method))
    with pytest.raises(TrapError) as err:
        call(prog, *args)
    assert err.value.kind == "trap"
    assert f"test:{method}: guest trapped" in str(err.value)
    assert message in str(err.value)


def test_an_instance_survives_a_trap_in_another_instance(
    wasm_runtime: WasmRuntime, write_app: AppWriter
) -> None:
    prog = program(wasm_runtime, write_app, traps("div_zero"))
    with pytest.raises(TrapError):
        call(prog, 0)
    assert call(prog, 1) == 1


@pytest.mark.engines("wasmtime")
def test_busy_loop_is_stopped_by_max_execution(
    wasm_runtime: WasmRuntime, write_app: AppWriter
) -> None:
    prog = program(wasm_runtime, write_app, traps("busy", limits={"max_execution_ms": 200}))
    started = time.monotonic()
    with pytest.raises(ExecutionTimeout, match="test:busy: execution time limit of 200 ms"):
        call(prog)
    assert time.monotonic() - started < 10


@pytest.mark.engines("wasmtime")
def test_fuel_budget_stops_a_busy_loop(wasm_runtime: WasmRuntime, write_app: AppWriter) -> None:
    prog = program(wasm_runtime, write_app, traps("busy", limits={"fuel": 100_000}))
    with pytest.raises(FuelExhausted, match="fuel budget of 100000 exhausted") as err:
        call(prog)
    assert err.value.kind == "fuel"


@pytest.mark.engines("wasmtime")
def test_fuel_budget_lets_small_work_finish(
    wasm_runtime: WasmRuntime, write_app: AppWriter
) -> None:
    prog = program(wasm_runtime, write_app, traps("count", limits={"fuel": 1_000_000}))
    assert call(prog, 1000) == 1000
    with pytest.raises(FuelExhausted):
        call(prog, 10_000_000)


@pytest.mark.engines("wasmtime")
def test_memory_bomb_hits_max_memory(wasm_runtime: WasmRuntime, write_app: AppWriter) -> None:
    entry = {"name": "bomb", "kind": "process.wasm", "path": "membomb.wasm",
             "method": "grow_forever", "limits": {"max_memory": "4MiB"}}
    with pytest.raises(MemoryLimitExceeded, match="memory limit of 4194304 bytes reached") as err:
        call(program(wasm_runtime, write_app, entry))
    assert err.value.kind == "memory"


@pytest.mark.engines("wasmtime")
def test_growth_beyond_max_memory_fails(wasm_runtime: WasmRuntime, write_app: AppWriter) -> None:
    entry = {"name": "grow", "kind": "process.wasm", "path": "membomb.wasm", "method": "grow",
             "limits": {"max_memory": "1MiB"}}
    prog = program(wasm_runtime, write_app, entry)
    instance = prog.instantiate()
    try:
        assert instance.call((8,)) == 1  # 1 -> 9 pages: under 16
        assert instance.call((100,)) == -1  # refused: memory.grow reports failure
    finally:
        instance.close()


@pytest.mark.engines("wasmtime")
def test_interrupt_stops_a_busy_guest_from_another_thread(
    wasm_runtime: WasmRuntime, write_app: AppWriter
) -> None:
    prog = program(wasm_runtime, write_app, traps("busy"))
    instance = prog.instantiate()
    timer = threading.Timer(0.2, instance.interrupt)
    timer.start()
    try:
        with pytest.raises(Terminated, match="test:busy: guest terminated") as err:
            instance.call(())
        assert err.value.kind == "terminated"
    finally:
        timer.join()
        instance.close()


def test_proc_exit_zero_is_a_normal_exit(wasm_runtime: WasmRuntime, write_app: AppWriter) -> None:
    entry = {"name": "ok", "kind": "process.wasm", "path": "proc_exit.wasm",
             "method": "exit_with", "imports": ["wasi:cli"]}
    assert call(program(wasm_runtime, write_app, entry), 0) is None


def test_proc_exit_nonzero_carries_the_status(
    wasm_runtime: WasmRuntime, write_app: AppWriter
) -> None:
    entry = {"name": "bad", "kind": "process.wasm", "path": "proc_exit.wasm",
             "method": "exit_with", "imports": ["wasi:cli"]}
    with pytest.raises(ExitError, match="test:bad: guest exited with status 7") as err:
        call(program(wasm_runtime, write_app, entry), 7)
    assert err.value.status == 7


def _failing_host(value: int) -> int:
    if value % 2:
        raise ValueError(f"odd input {value}")
    return value * 10


def test_host_function_errors_reach_their_own_guest(
    wasm_cache_dir: Any, write_app: AppWriter, engine: str
) -> None:
    """Many guests in parallel threads, half raising in host calls: each sees only its own."""
    module = HostModule("wippy_test", {"fail": (("i32",), ("i32",), _failing_host)})
    entry = {"name": "raise", "kind": "process.wasm", "path": "host_raise.wasm", "method": "run"}
    registry = load_registry(write_app(entry))
    outcomes: dict[int, Any] = {}
    with WasmRuntime(cache_dir=wasm_cache_dir, host_modules=[module], engine=engine) as runtime:
        prog = runtime.program(registry, "test:raise")
        barrier = threading.Barrier(16)

        def worker(base: int) -> None:
            instance = prog.instantiate()
            barrier.wait()
            try:
                for i in range(200):
                    value = base * 1000 + i
                    try:
                        outcomes[value] = instance.call((value,))
                    except HostFunctionError as exc:
                        outcomes[value] = exc
            finally:
                instance.close()

        threads = [threading.Thread(target=worker, args=(n,)) for n in range(16)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert len(outcomes) == 16 * 200
    for value, outcome in outcomes.items():
        if value % 2:
            assert isinstance(outcome, HostFunctionError)
            assert str(outcome) == f"test:raise: host function raised ValueError: odd input {value}"
            assert isinstance(outcome.__cause__, ValueError)
        else:
            assert outcome == value * 10


def test_interrupt_before_the_call_stops_it_at_entry(
    wasm_runtime: WasmRuntime, write_app: AppWriter
) -> None:
    prog = program(wasm_runtime, write_app, traps("add"))
    instance = prog.instantiate()
    try:
        instance.interrupt()
        with pytest.raises(Terminated):
            instance.call((1, 2))
    finally:
        instance.close()
