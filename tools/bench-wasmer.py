#!/usr/bin/env python3
"""Measures the wasmer engine next to wasmtime, through wippy and raw, and prints JSON.

Scenarios (each median of several rounds after a warm-up round):

- ``call_overhead``: ``add(6, 7)`` on a live instance (µs/call): wippy on wasmtime, wippy on
  wasmer, raw wasmtime-py (``Func.__call__``), raw wasmer-python (``exports.add``).
- ``instantiate``: instantiate + call + close, a fresh instance per call (µs/instance).
- ``instantiate_wasi``: the same for a WASI command (``wasi_c.wasm args``: argv, stdout capture).
- ``gil_impact``: how far a plain Python thread gets while a guest spins on another thread,
  relative to how far it gets with nothing else running. wasmtime-py releases the GIL while
  guest code runs; wasmer-python holds it, so every other Python thread (other processes, the
  runtime's own threads) stops for the whole guest run. Reports the ratio of the thread's
  progress rate and the longest stall it saw.

wasmer-python works on CPython 3.10 only. Run under ``.venv310`` (``make test`` builds it); run
from another Python, the script re-runs itself there, or prints ``{"skipped": reason}``.

With ``--serve`` it is instead the benchmark harness's round server for the wasmer column (see
``benchmarks/remote.py``): it prints ``ready <pid>`` and answers one round per request line,
``call_overhead <calls>`` (µs/call), ``instantiate <instances>`` (µs/instance) or
``gil_impact <seconds>`` (the progress ratio), with ``ok <value>`` or ``error <reason>``, so the
harness interleaves wasmer's rounds with wippy's and the baselines'.

Usage: python tools/bench-wasmer.py [--quick | --smoke | --serve]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import threading
import time
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
VENV310 = ROOT / ".venv310" / "bin" / "python"
TRAPS = ROOT / "tests" / "fixtures" / "wasm" / "traps.wasm"
WASI_C = ROOT / "tests" / "fixtures" / "wasm" / "wasi_c.wasm"
MODES = {  # rounds, calls per call round, target seconds of one spinning guest run
    "full": (5, 20_000, 0.4),
    "quick": (3, 5_000, 0.15),
    "smoke": (1, 200, 0.02),
}


def _reexec_or_skip(reason: str) -> None:
    if VENV310.exists() and Path(sys.executable).resolve() != VENV310.resolve():
        os.execv(str(VENV310), [str(VENV310), *sys.argv])
    print(json.dumps({"skipped": reason}))
    sys.exit(0)


try:
    import wasmer  # noqa: F401
    import wasmer_compiler_cranelift  # noqa: F401
except Exception as exc:  # the 3.11+ placeholder raises at import
    _reexec_or_skip(f"wasmer unavailable on Python {platform.python_version()}: {exc}")

sys.path.insert(0, str(ROOT))

import wasmtime  # noqa: E402

from wippy.wasm import ProgramSpec, WasiSpec  # noqa: E402
from wippy.wasm.wasmer.engine import WasmerEngine  # noqa: E402
from wippy.wasm.wasmtime.engine import WasmtimeEngine  # noqa: E402


def per_op_us(run: Callable[[], int]) -> float:
    started = time.perf_counter()
    n = run()
    return (time.perf_counter() - started) / n * 1e6


def rounds(measure: Callable[[], float], count: int) -> list[float]:
    measure()  # warm-up
    return [measure() for _ in range(count)]


def summary(samples: dict[str, list[float]], unit: str) -> dict[str, Any]:
    return {
        "unit": unit,
        "median": {name: statistics.median(values) for name, values in samples.items()},
        "samples": samples,
    }


def spec(method: str) -> ProgramSpec:
    wasm = TRAPS.read_bytes()
    return ProgramSpec(f"bench:{method}", wasm, "sha256:bench-" + method, method)


def call_overhead(engines: dict[str, Any], count: int, calls: int) -> dict[str, Any]:
    samples: dict[str, list[float]] = {}
    for name, engine in engines.items():
        instance = engine.program(spec("add")).instantiate()

        def wippy_calls(instance: Any = instance) -> int:
            for _ in range(calls):
                instance.call((6, 7))
            return calls

        samples[f"wippy {name}"] = rounds(lambda f=wippy_calls: per_op_us(f), count)
        instance.close()
    wasm = TRAPS.read_bytes()
    raw_engine = wasmtime.Engine()
    store = wasmtime.Store(raw_engine)
    add = wasmtime.Instance(store, wasmtime.Module(raw_engine, wasm), []).exports(store)["add"]

    def raw_wasmtime() -> int:
        for _ in range(calls):
            add(store, 6, 7)
        return calls

    from wasmer import Instance, Module, Store, engine
    from wasmer_compiler_cranelift import Compiler

    wasmer_add = Instance(Module(Store(engine.Universal(Compiler)), wasm)).exports.add

    def raw_wasmer() -> int:
        for _ in range(calls):
            wasmer_add(6, 7)
        return calls

    samples["raw wasmtime"] = rounds(lambda: per_op_us(raw_wasmtime), count)
    samples["raw wasmer"] = rounds(lambda: per_op_us(raw_wasmer), count)
    return summary(samples, "µs/call")


def wasi_spec() -> ProgramSpec:
    wasm = WASI_C.read_bytes()
    return ProgramSpec("bench:wasi_c", wasm, "sha256:bench-wasi_c", "_start",
                       imports=frozenset({"wasi1"}), wasi=WasiSpec(args=("args", "x")))


def instantiate(
    engines: dict[str, Any], count: int, calls: int, wasi: bool = False
) -> dict[str, Any]:
    samples: dict[str, list[float]] = {}
    n = max(1, calls // 10)
    for name, engine in engines.items():
        program = engine.program(wasi_spec() if wasi else spec("add"))
        args = () if wasi else (6, 7)

        def spawns(program: Any = program, args: tuple[int, ...] = args) -> int:
            output = bytearray()
            for _ in range(n):
                instance = program.instantiate(stdout=output.extend)
                instance.call(args)
                instance.close()
            return n

        samples[f"wippy {name}"] = rounds(lambda f=spawns: per_op_us(f), count)
    return summary(samples, "µs/instance")


class Ticker:
    """A Python thread counting as fast as it can, noting its longest stall."""

    def __init__(self) -> None:
        self.count = 0
        self.max_gap = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        last = time.perf_counter()
        while True:
            now = time.perf_counter()
            # The gap is noted before the stop check: the stall that ends with the stop request
            # (a guest that held the GIL until it returned) counts too.
            self.max_gap = max(self.max_gap, now - last)
            last = now
            if self._stop.is_set():
                return
            self.count += 1

    def __enter__(self) -> Ticker:
        self._thread.start()
        time.sleep(0.01)
        self.count, self.max_gap = 0, 0.0
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def spin_for(engine: Any, n: int, ticker: Ticker | None = None) -> tuple[float, int]:
    """Runs ``count(n)`` on a fresh instance on a new thread.

    Returns the guest's seconds and how many times ``ticker`` counted while it ran.
    """
    took: list[tuple[float, int]] = []

    def guest() -> None:
        instance = engine.program(spec("count")).instantiate()
        before = ticker.count if ticker else 0
        started = time.perf_counter()
        instance.call((n,))
        seconds = time.perf_counter() - started
        took.append((seconds, (ticker.count if ticker else 0) - before))
        instance.close()

    thread = threading.Thread(target=guest)
    thread.start()
    thread.join()
    return took[0]


def gil_impact(engines: dict[str, Any], count: int, seconds: float) -> dict[str, Any]:
    result: dict[str, Any] = {"unit": "a Python thread's progress rate while the guest runs, "
                                      "relative to its rate alone"}
    probe = 2_000_000
    for name, engine in engines.items():
        n = max(1, int(seconds / (spin_for(engine, probe)[0] / probe)))
        ratios, gaps, guest_seconds = [], [], []
        for _ in range(count):
            with Ticker() as alone:
                time.sleep(seconds)
            alone_rate = alone.count / seconds
            with Ticker() as ticker:
                took, ticks = spin_for(engine, n, ticker)
            ratios.append(ticks / took / alone_rate)
            gaps.append(ticker.max_gap * 1000)
            guest_seconds.append(took)
        result[f"wippy {name}"] = {
            "progress_ratio": statistics.median(ratios),
            "max_stall_ms": statistics.median(gaps),
            "guest_ms": statistics.median(guest_seconds) * 1000,
            "count_n": n,
            "samples": {"progress_ratio": ratios, "max_stall_ms": gaps},
        }
    return result


class Rounds:
    """One round of each wasmer scenario on demand: what ``--serve`` answers."""

    def __init__(self, engine: Any) -> None:
        self.engine = engine
        self.live = engine.program(spec("add")).instantiate()
        self.add = engine.program(spec("add"))
        self.spins: dict[float, int] = {}

    def call_overhead(self, calls: int) -> float:
        """µs per ``add(6, 7)`` call on a live instance."""

        def run() -> int:
            for _ in range(calls):
                self.live.call((6, 7))
            return calls

        return per_op_us(run)

    def instantiate(self, instances: int) -> float:
        """µs per instantiate + ``add(6, 7)`` + close."""

        def run() -> int:
            for _ in range(instances):
                instance = self.add.instantiate()
                instance.call((6, 7))
                instance.close()
            return instances

        return per_op_us(run)

    def gil_impact(self, seconds: float) -> float:
        """A Python thread's progress rate while a guest spins ``seconds``, relative to alone."""
        if seconds not in self.spins:
            probe = 2_000_000
            self.spins[seconds] = max(1, int(seconds / (spin_for(self.engine, probe)[0] / probe)))
        with Ticker() as alone:
            time.sleep(seconds)
        with Ticker() as ticker:
            took, ticks = spin_for(self.engine, self.spins[seconds], ticker)
        return ticks / took / (alone.count / seconds)

    def close(self) -> None:
        self.live.close()


def serve() -> None:
    """The round server: one request line in, one ``ok <value>``/``error <reason>`` line out."""
    engine = WasmerEngine(None)
    rounds = Rounds(engine)
    handlers: dict[str, Callable[[str], float]] = {
        "call_overhead": lambda arg: rounds.call_overhead(int(arg)),
        "instantiate": lambda arg: rounds.instantiate(int(arg)),
        "gil_impact": lambda arg: rounds.gil_impact(float(arg)),
    }
    print(f"ready {os.getpid()}", flush=True)
    try:
        for line in sys.stdin:
            words = line.split()
            if words == ["quit"]:
                break
            if not words:
                continue
            try:
                handler = handlers[words[0]]
                value = handler(*words[1:])
            except Exception as exc:  # the harness records the round as failed, with this
                print(f"error {type(exc).__name__}: {exc}", flush=True)
            else:
                print(f"ok {value!r}", flush=True)
    finally:
        rounds.close()
        engine.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--quick", action="store_true")
    group.add_argument("--smoke", action="store_true")
    group.add_argument("--serve", action="store_true",
                       help="answer one round per request line (the harness's wasmer column)")
    args = parser.parse_args()
    if args.serve:
        serve()
        return
    mode = "quick" if args.quick else "smoke" if args.smoke else "full"
    count, calls, seconds = MODES[mode]
    engines = {"wasmtime": WasmtimeEngine(None), "wasmer": WasmerEngine(None)}
    try:
        report = {
            "mode": mode,
            "python": platform.python_version(),
            "machine": platform.machine(),
            "cpus": os.cpu_count(),
            "versions": {name: version(name) for name in
                         ("wasmtime", "wasmer", "wasmer_compiler_cranelift")},
            "scenarios": {
                "call_overhead": call_overhead(engines, count, calls),
                "instantiate": instantiate(engines, count, calls),
                "instantiate_wasi": instantiate(engines, count, calls, wasi=True),
                "gil_impact": gil_impact(engines, count, seconds),
            },
        }
    finally:
        for engine in engines.values():
            engine.close()
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
