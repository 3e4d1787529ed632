"""The engine path: one export call from Python, and instantiate + call + close."""

from __future__ import annotations

import wasmtime

from wippy.wasm import LimitSpec, ProgramSpec
from wippy.wasm.wasmtime.engine import WasmtimeEngine

from . import lowlevel
from .apps import TRAPS
from .harness import (
    WASMER,
    WASMTIME,
    WASMTIME_LOW,
    WIPPY,
    Goal,
    Scenario,
    Sizes,
    expect,
    measure,
    per_op_us,
)
from .wasmer import WasmerNode


def call_overhead(sizes: Sizes, wasmer: WasmerNode | None) -> Scenario:
    """``add(6, 7)`` on a live instance: wippy's call path, ``Func.__call__``, the C API."""
    wasm = TRAPS.read_bytes()
    engine = WasmtimeEngine(None)
    spec = ProgramSpec("bench:add", wasm, "sha256:bench", "add", limits=LimitSpec())
    instance = engine.program(spec).instantiate()
    n = sizes.calls

    def wippy_calls() -> int:
        for _ in range(n):
            instance.call((6, 7))
        return n

    raw_engine = wasmtime.Engine()
    raw_module = wasmtime.Module(raw_engine, wasm)
    store = wasmtime.Store(raw_engine)
    add = wasmtime.Instance(store, raw_module, []).exports(store)["add"]

    def raw_calls() -> int:
        for _ in range(n):
            add(store, 6, 7)
        return n

    low_add = lowlevel.live_call(raw_engine, raw_module, "add", 2)
    expect(low_add(6, 7) == 13, "low-level add(6, 7) != 13")

    def low_calls() -> int:
        for _ in range(n):
            low_add(6, 7)
        return n

    scenario = Scenario(
        "call_overhead",
        "call overhead (one export call, two ints)",
        "µs/call",
        "lower",
        Goal("under 10 µs (issue #7)", lambda m: m[WIPPY] < 10.0),
    )
    columns = {WIPPY: per_op_us(wippy_calls), WASMTIME: per_op_us(raw_calls),
               WASMTIME_LOW: per_op_us(low_calls)}
    if wasmer is not None:
        columns[WASMER] = wasmer.column("call_overhead", n)
    try:
        measure(scenario, columns, sizes.rounds)
    finally:
        instance.close()
        engine.close()
    scenario.notes.append(
        "raw wasmtime: wasmtime-py's generic Func.__call__ (what its API gives a user); raw "
        "wasmtime low-level: wasmtime_func_call on preallocated wasmtime_val_t arrays (the C "
        "API's best from Python, the call wippy makes)"
    )
    return scenario


def instantiate_and_call(sizes: Sizes, wasmer: WasmerNode | None) -> Scenario:
    """A fresh store and instance per call, as every process gets (no process around it)."""
    wasm = TRAPS.read_bytes()
    engine = WasmtimeEngine(None)
    program = engine.program(ProgramSpec("bench:add", wasm, "sha256:bench", "add"))
    n = max(1, sizes.calls // 10)

    def wippy_spawns() -> int:
        for _ in range(n):
            instance = program.instantiate()
            instance.call((6, 7))
            instance.close()
        return n

    raw_engine = wasmtime.Engine()
    module = wasmtime.Module(raw_engine, wasm)

    def raw_spawns() -> int:
        for _ in range(n):
            store = wasmtime.Store(raw_engine)
            wasmtime.Instance(store, module, []).exports(store)["add"](store, 6, 7)
        return n

    spawner = lowlevel.Spawner(raw_engine, lowlevel.instance_pre(raw_engine, module), "add", 2)

    def low_spawns() -> int:
        for _ in range(n):
            spawner.run(6, 7)
        return n

    scenario = Scenario("instantiate", "instantiate + call + close", "µs/instance", "lower")
    columns = {WIPPY: per_op_us(wippy_spawns), WASMTIME: per_op_us(raw_spawns),
               WASMTIME_LOW: per_op_us(low_spawns)}
    if wasmer is not None:
        columns[WASMER] = wasmer.column("instantiate", n)
    try:
        measure(scenario, columns, sizes.rounds)
    finally:
        engine.close()
    scenario.notes.append(
        "raw wasmtime: Store + Instance + Func.__call__; raw wasmtime low-level: Store + "
        "wasmtime_instance_pre_instantiate + wasmtime_func_call on preallocated arrays"
    )
    return scenario
