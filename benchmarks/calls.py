"""The engine path: one export call from Python, and instantiate + call + close."""

from __future__ import annotations

import wasmtime

from wippy.wasm import LimitSpec, ProgramSpec
from wippy.wasm.wasmtime.engine import WasmtimeEngine

from .apps import TRAPS
from .harness import WASMTIME, WIPPY, Goal, Scenario, Sizes, per_op_us, rounds


def call_overhead(sizes: Sizes) -> Scenario:
    """``add(6, 7)`` on a live instance: wippy's call path against ``Func.__call__``."""
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
    store = wasmtime.Store(raw_engine)
    add = wasmtime.Instance(store, wasmtime.Module(raw_engine, wasm), []).exports(store)["add"]

    def raw_calls() -> int:
        for _ in range(n):
            add(store, 6, 7)
        return n

    scenario = Scenario(
        "call_overhead",
        "call overhead (one export call, two ints)",
        "µs/call",
        "lower",
        Goal("under 10 µs", lambda m: m[WIPPY] < 10.0),
    )
    try:
        scenario.samples[WIPPY] = rounds(per_op_us(wippy_calls), sizes)
        scenario.samples[WASMTIME] = rounds(per_op_us(raw_calls), sizes)
    finally:
        instance.close()
        engine.close()
    scenario.notes.append("raw wasmtime: wasmtime-py's generic Func.__call__")
    return scenario


def instantiate_and_call(sizes: Sizes) -> Scenario:
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

    scenario = Scenario("instantiate", "instantiate + call + close", "µs/instance", "lower")
    try:
        scenario.samples[WIPPY] = rounds(per_op_us(wippy_spawns), sizes)
        scenario.samples[WASMTIME] = rounds(per_op_us(raw_spawns), sizes)
    finally:
        engine.close()
    return scenario
