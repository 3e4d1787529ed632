"""Work that is not process bookkeeping: parallel CPU, blocking guests, cold vs cached start."""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import wasmtime

import wippy
from wippy.actors import EXIT, Runtime
from wippy.wasm import WasmRuntime

from .apps import COUNTER, HOST, REACTOR, SLEEPER, TRAPS
from .erlang import ErlangNode
from .harness import (
    ERLANG,
    WASMTIME,
    WIPPY,
    Goal,
    Scenario,
    Sizes,
    expect,
    measure,
    measure_each,
)
from .stats import speedup_bound

WAYS = 2  # CPU-bound guests run at once in the parallel CPU scenario


def usable_cores() -> int | None:
    """How many cores this process may run on (its affinity), else the machine's count."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count()


def on_threads(count: int, target: Callable[[], None]) -> None:
    """Runs ``target`` on ``count`` threads at once and waits; re-raises a thread's error.

    A guest that failed on its thread must fail the round, not make it look fast.
    """
    with ThreadPoolExecutor(max_workers=count) as pool:
        futures = [pool.submit(target) for _ in range(count)]
    for future in futures:
        future.result()

# -- parallel CPU ---------------------------------------------------------------------------------


def _calibrate(seconds: float) -> int:
    """Iterations of traps.wasm's ``count`` loop that take about ``seconds`` on raw wasmtime."""
    engine = wasmtime.Engine()
    store = wasmtime.Store(engine)
    count = wasmtime.Instance(store, wasmtime.Module(engine, TRAPS.read_bytes()), []).exports(
        store
    )["count"]
    n = 1_000_000
    while True:
        started = time.perf_counter()
        count(store, n)
        elapsed = time.perf_counter() - started
        if elapsed > 0.02:
            return max(1, int(n * seconds / elapsed))
        n *= 4


def _wippy_cpu(rt: Runtime, ways: int, n: int) -> float:
    with rt.process() as me:
        started = time.perf_counter()
        for _ in range(ways):
            me.spawn_monitored(COUNTER, HOST, n)
        for _ in range(ways):
            event = me.receive(timeout=120)
            expect(event is not None and event.type == EXIT and event.value == n,
                   f"expected count({n}) to exit with {n}, got {event}")
        return time.perf_counter() - started


def _wasmtime_cpu(ways: int, n: int) -> float:
    engine = wasmtime.Engine()
    module = wasmtime.Module(engine, TRAPS.read_bytes())

    def run() -> None:
        store = wasmtime.Store(engine)
        result = wasmtime.Instance(store, module, []).exports(store)["count"](store, n)
        expect(result == n, f"count({n}) returned {result}")

    started = time.perf_counter()
    on_threads(ways, run)
    return time.perf_counter() - started


def parallel_cpu(rt: Runtime, sizes: Sizes, erl: ErlangNode | None) -> Scenario:
    """Two CPU-bound guests at once against one: speedup = 2 x time(one) / time(two)."""
    n = _calibrate(sizes.cpu_seconds)
    cores = usable_cores()
    scenario = Scenario(
        "parallel_cpu",
        f"parallel CPU, {WAYS} guests on {cores} cores",
        "speedup",
        "higher",
        Goal("at least 1.8x one guest's throughput (issue #7)", lambda m: m[WIPPY] >= 1.8),
        bound=speedup_bound(WAYS, cores),
    )
    columns = {
        WIPPY: lambda: WAYS * _wippy_cpu(rt, 1, n) / _wippy_cpu(rt, WAYS, n),
        WASMTIME: lambda: WAYS * _wasmtime_cpu(1, n) / _wasmtime_cpu(WAYS, n),
    }
    if erl is not None:
        iterations = int(erl.request("calibrate", float(sizes.cpu_seconds)))
        columns[ERLANG] = erl.column("parallel_cpu", iterations)
        scenario.extra["erlang iterations"] = iterations
    measure(scenario, columns, sizes.rounds)
    scenario.notes.append(
        f"traps.wasm count({n:,}) (~{sizes.cpu_seconds:g} s each); raw wasmtime: one Python "
        "thread per guest; Erlang: a spinning process each. Other work on the machine lowers "
        f"every column alike; a speed-up above {scenario.bound.high if scenario.bound else '-'} "
        "(guests, cores) cannot be real and marks the row implausible."
    )
    scenario.extra["iterations"] = n
    return scenario


# -- blocking guests ------------------------------------------------------------------------------


def _wippy_blocking(rt: Runtime, sizes: Sizes) -> float:
    with rt.process() as me:
        started = time.perf_counter()
        for _ in range(sizes.sleepers):
            me.spawn_monitored(SLEEPER, HOST, sizes.sleep_ms)
        for _ in range(sizes.sleepers):
            event = me.receive(timeout=120)
            expect(event is not None and event.type == EXIT and event.value == sizes.sleep_ms,
                   f"expected sleep_ms({sizes.sleep_ms}) to exit with it, got {event}")
        return time.perf_counter() - started


def _wasmtime_blocking(sizes: Sizes) -> float:
    engine = wasmtime.Engine()
    module = wasmtime.Module(engine, REACTOR.read_bytes())
    linker = wasmtime.Linker(engine)
    linker.define_wasi()

    def run() -> None:
        store = wasmtime.Store(engine)
        store.set_wasi(wasmtime.WasiConfig())
        exports = linker.instantiate(store, module).exports(store)
        exports["_initialize"](store)
        exports["sleep_ms"](store, sizes.sleep_ms)

    started = time.perf_counter()
    on_threads(sizes.sleepers, run)
    return time.perf_counter() - started


def blocking(rt: Runtime, sizes: Sizes, erl: ErlangNode | None) -> Scenario:
    """``sleepers`` WASM processes each sleeping ``sleep_ms`` in WASI; seconds until all exit."""
    limit = sizes.sleep_ms / 1000 * 1.5
    scenario = Scenario(
        "blocking",
        f"blocking: {sizes.sleepers:,} guests sleeping {sizes.sleep_ms} ms",
        "s",
        "lower",
        Goal(f"all done within {limit:g} s (issue #12)", lambda m: m[WIPPY] <= limit),
    )
    columns = {WIPPY: lambda: _wippy_blocking(rt, sizes),
               WASMTIME: lambda: _wasmtime_blocking(sizes)}
    if erl is not None:
        columns[ERLANG] = erl.column("blocking", sizes.sleepers, sizes.sleep_ms)
    measure(scenario, columns, sizes.rounds)
    scenario.notes.append(
        "from the first spawn to the last EXIT; wasi_c_reactor.wasm sleep_ms (WASI poll_oneoff). "
        "raw wasmtime: one thread per guest; Erlang: timer:sleep in a process each"
    )
    return scenario


# -- cold vs cached start -----------------------------------------------------------------------


def module_wat(index: int, functions: int) -> str:
    """A module distinct per ``index``: ``functions`` small arithmetic functions and ``run``."""
    body = []
    for f in range(functions):
        body.append(
            f"(func $f{f} (param i32) (result i32) local.get 0 i32.const {index * 1000 + f} "
            "i32.add i32.const 31 i32.mul local.get 0 i32.const 7 i32.rem_u i32.xor)"
        )
    calls = " ".join(f"call $f{f}" for f in range(functions))
    return (
        "(module " + " ".join(body)
        + f' (func (export "run") (result i32) i32.const {index} {calls}))'
    )


def _write_startup_app(directory: Path, sizes: Sizes) -> list[str]:
    import hashlib

    wasm_dir = directory / "wasm"
    wasm_dir.mkdir()
    lines = [
        'version: "1.0"\nnamespace: start\nentries:\n',
        f"  - {{name: bin, kind: fs.directory, directory: {wasm_dir}}}\n",
        "  - {name: procs, kind: process.host, host: {workers: 64}, "
        "lifecycle: {auto_start: true}}\n",
    ]
    ids = []
    for i in range(sizes.modules):
        wasm = wasmtime.wat2wasm(module_wat(i, sizes.functions))
        (wasm_dir / f"m{i}.wasm").write_bytes(wasm)
        digest = hashlib.sha256(wasm).hexdigest()
        lines.append(
            f"  - {{name: m{i}, kind: process.wasm, fs: start:bin, path: m{i}.wasm, "
            f'hash: "sha256:{digest}", method: run}}\n'
        )
        ids.append(f"start:m{i}")
    (directory / "app.yaml").write_text("".join(lines))
    return ids


def _start_app(app: Path, cache: Path, ids: list[str]) -> float:
    """Loads the app and runs each of its modules once as a process; seconds taken."""
    started = time.perf_counter()
    with WasmRuntime(cache_dir=cache) as wasm:
        rt = wippy.load(app, wasm=wasm)
        try:
            with rt.process() as me:
                for entry in ids:
                    me.spawn_monitored(entry, "start:procs")
                for _ in ids:
                    event = me.receive(timeout=120)
                    expect(event is not None and event.type == EXIT and event.ok,
                           f"a module of the start app did not exit normally: {event}")
            elapsed = time.perf_counter() - started
        finally:
            rt.stop()
    return elapsed


def _raw_start(wasms: list[bytes], artifacts: list[bytes] | None) -> float:
    engine = wasmtime.Engine()
    started = time.perf_counter()
    for i, wasm in enumerate(wasms):
        if artifacts is None:
            module = wasmtime.Module(engine, wasm)
        else:
            module = wasmtime.Module.deserialize(engine, artifacts[i])
        store = wasmtime.Store(engine)
        wasmtime.Instance(store, module, []).exports(store)["run"](store)
    return time.perf_counter() - started


def cold_vs_cached(sizes: Sizes) -> list[Scenario]:
    """Start an app of ``modules`` generated modules with an empty and with a warm cache."""
    cold = Scenario("start_cold", f"app start, {sizes.modules} modules, empty cache", "ms", "lower")
    warm = Scenario("start_warm", f"app start, {sizes.modules} modules, warm cache", "ms", "lower")
    speedup = Scenario(
        "start_speedup",
        "cached start speedup (cold / warm)",
        "x",
        "higher",
        Goal("warm at least 20x faster (issue #7)", lambda m: m[WIPPY] >= 20.0),
    )
    with tempfile.TemporaryDirectory(prefix="wippy-bench-start-") as tmp:
        app = Path(tmp) / "app"
        app.mkdir()
        ids = _write_startup_app(app, sizes)
        wasms = [(app / "wasm" / f"m{i}.wasm").read_bytes() for i in range(sizes.modules)]
        engine = wasmtime.Engine()
        artifacts = [wasmtime.Module(engine, w).serialize() for w in wasms]
        counter = [0]

        def row(cold_s: float, warm_s: float) -> dict[str, float]:
            return {cold.key: cold_s * 1000, warm.key: warm_s * 1000,
                    speedup.key: cold_s / warm_s}

        def wippy_pair() -> dict[str, float]:
            counter[0] += 1
            cache = Path(tmp) / f"cache{counter[0]}"  # empty: the first start compiles
            return row(_start_app(app, cache, ids), _start_app(app, cache, ids))

        def raw_pair() -> dict[str, float]:
            return row(_raw_start(wasms, None), _raw_start(wasms, artifacts))

        measure_each([cold, warm, speedup], {WIPPY: wippy_pair, WASMTIME: raw_pair},
                     sizes.rounds)
    size = sum(len(w) for w in wasms)
    for scenario in (cold, warm, speedup):
        scenario.notes.append(
            f"{sizes.modules} generated modules of {sizes.functions} functions "
            f"({size // sizes.modules:,} bytes each); wippy: wippy.load + spawn each module once + "
            "EXITs, fresh WasmRuntime per start; raw wasmtime: Module() vs Module.deserialize()"
        )
    return [cold, warm, speedup]
