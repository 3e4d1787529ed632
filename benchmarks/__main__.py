"""Runs the benchmarks and prints wippy against raw wasmtime-py, as ratios.

``python -m benchmarks [--quick]``; results also go to ``benchmarks/results/latest.json``.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import wasmtime

from wippy.wasm import LimitSpec, ProgramSpec
from wippy.wasm.wasmtime_engine import WasmtimeEngine

ROOT = Path(__file__).resolve().parents[1]
TRAPS = ROOT / "tests" / "fixtures" / "wasm" / "traps.wasm"


def _rounds(fn: Callable[[], int], rounds: int) -> list[float]:
    """Runs ``fn`` (which returns how many operations it did) and returns µs per operation."""
    fn()  # warm-up
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        ops = fn()
        samples.append((time.perf_counter() - started) / ops * 1e6)
    return samples


def call_overhead(n: int, rounds: int) -> dict[str, list[float]]:
    wasm = TRAPS.read_bytes()
    engine = WasmtimeEngine(None)
    spec = ProgramSpec("bench:add", wasm, "sha256:bench", "add", limits=LimitSpec())
    instance = engine.program(spec).instantiate()

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

    try:
        return {"wippy": _rounds(wippy_calls, rounds), "raw wasmtime": _rounds(raw_calls, rounds)}
    finally:
        instance.close()
        engine.close()


def instantiate_and_call(n: int, rounds: int) -> dict[str, list[float]]:
    wasm = TRAPS.read_bytes()
    engine = WasmtimeEngine(None)
    program = engine.program(ProgramSpec("bench:add", wasm, "sha256:bench", "add"))

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

    try:
        return {"wippy": _rounds(wippy_spawns, rounds), "raw wasmtime": _rounds(raw_spawns, rounds)}
    finally:
        engine.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks")
    parser.add_argument("--quick", action="store_true", help="fewer, shorter rounds")
    args = parser.parse_args(argv)
    rounds, n = (3, 2_000) if args.quick else (7, 20_000)
    scenarios = {
        "call overhead (µs/call)": call_overhead(n, rounds),
        "instantiate+call (µs/instance)": instantiate_and_call(n // 10, rounds),
    }
    print(f"{'scenario':34} {'wippy':>10} {'raw wasmtime':>14} {'ratio':>7}")
    report: dict[str, Any] = {
        "machine": {"python": sys.version, "platform": platform.platform(),
                    "wasmtime": wasmtime.__dict__.get("__version__", "?")},
        "scenarios": {},
    }
    for name, samples in scenarios.items():
        ours = statistics.median(samples["wippy"])
        base = statistics.median(samples["raw wasmtime"])
        print(f"{name:34} {ours:10.2f} {base:14.2f} {ours / base:6.2f}x")
        report["scenarios"][name] = {"samples": samples, "median": {"wippy": ours,
                                                                   "raw wasmtime": base}}
    out = ROOT / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "latest.json").write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
