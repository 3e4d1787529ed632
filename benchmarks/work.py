"""Work that is not process bookkeeping: parallel CPU, blocking guests, cold vs cached start."""

from __future__ import annotations

import tempfile
import threading
import time
from pathlib import Path

import wasmtime

import wippy
from wippy.actors import EXIT, Runtime
from wippy.wasm import WasmRuntime

from .apps import COUNTER, HOST, REACTOR, SLEEPER, TRAPS
from .harness import WASMTIME, WIPPY, Goal, Scenario, Sizes, rounds

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
            assert event is not None and event.type == EXIT and event.value == n, event
        return time.perf_counter() - started


def _wasmtime_cpu(ways: int, n: int) -> float:
    engine = wasmtime.Engine()
    module = wasmtime.Module(engine, TRAPS.read_bytes())

    def run() -> None:
        store = wasmtime.Store(engine)
        assert wasmtime.Instance(store, module, []).exports(store)["count"](store, n) == n

    threads = [threading.Thread(target=run) for _ in range(ways)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started


def parallel_cpu(rt: Runtime, sizes: Sizes) -> Scenario:
    """Two CPU-bound guests at once against one: speedup = 2 x time(one) / time(two)."""
    n = _calibrate(sizes.cpu_seconds)
    scenario = Scenario(
        "parallel_cpu",
        "parallel CPU, 2 guests on 2 cores",
        "speedup",
        "higher",
        Goal("at least 1.8x one guest's throughput", lambda m: m[WIPPY] >= 1.8),
    )
    scenario.samples[WIPPY] = rounds(
        lambda: 2 * _wippy_cpu(rt, 1, n) / _wippy_cpu(rt, 2, n), sizes
    )
    scenario.samples[WASMTIME] = rounds(
        lambda: 2 * _wasmtime_cpu(1, n) / _wasmtime_cpu(2, n), sizes
    )
    scenario.notes.append(
        f"traps.wasm count({n:,}) (~{sizes.cpu_seconds:g} s each); raw wasmtime: one Python "
        "thread per guest. Other work on the machine lowers every column alike."
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
            assert event is not None and event.type == EXIT and event.value == sizes.sleep_ms, event
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
    threads = [threading.Thread(target=run) for _ in range(sizes.sleepers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started


def blocking(rt: Runtime, sizes: Sizes) -> Scenario:
    """``sleepers`` WASM processes each sleeping ``sleep_ms`` in WASI; seconds until all exit."""
    limit = sizes.sleep_ms / 1000 * 1.5
    scenario = Scenario(
        "blocking",
        f"blocking: {sizes.sleepers:,} guests sleeping {sizes.sleep_ms} ms",
        "s",
        "lower",
        Goal(f"all done within {limit:g} s", lambda m: m[WIPPY] <= limit),
    )
    one = Sizes(**{**sizes.__dict__, "rounds": 1})
    scenario.samples[WIPPY] = rounds(lambda: _wippy_blocking(rt, sizes), one, warmup=0)
    scenario.samples[WASMTIME] = rounds(lambda: _wasmtime_blocking(sizes), one, warmup=0)
    scenario.notes.append(
        "from the first spawn to the last EXIT; wasi_c_reactor.wasm sleep_ms (WASI poll_oneoff). "
        "raw wasmtime: one thread per guest"
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
                    assert event is not None and event.type == EXIT and event.ok, event
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
        Goal("warm at least 20x faster", lambda m: m[WIPPY] >= 20.0),
    )
    with tempfile.TemporaryDirectory(prefix="wippy-bench-start-") as tmp:
        app = Path(tmp) / "app"
        app.mkdir()
        ids = _write_startup_app(app, sizes)
        wasms = [(app / "wasm" / f"m{i}.wasm").read_bytes() for i in range(sizes.modules)]
        engine = wasmtime.Engine()
        artifacts = [wasmtime.Module(engine, w).serialize() for w in wasms]
        counter = [0]

        def wippy_pair() -> tuple[float, float]:
            counter[0] += 1
            cache = Path(tmp) / f"cache{counter[0]}"
            return _start_app(app, cache, ids), _start_app(app, cache, ids)

        def raw_pair() -> tuple[float, float]:
            return _raw_start(wasms, None), _raw_start(wasms, artifacts)

        for column, pair in ((WIPPY, wippy_pair), (WASMTIME, raw_pair)):
            pair()  # warm-up
            results = [pair() for _ in range(sizes.rounds)]
            cold.samples[column] = [c * 1000 for c, _ in results]
            warm.samples[column] = [w * 1000 for _, w in results]
            speedup.samples[column] = [c / w for c, w in results]
    size = sum(len(w) for w in wasms)
    for scenario in (cold, warm, speedup):
        scenario.notes.append(
            f"{sizes.modules} generated modules of {sizes.functions} functions "
            f"({size // sizes.modules:,} bytes each); wippy: wippy.load + spawn each module once + "
            "EXITs, fresh WasmRuntime per start; raw wasmtime: Module() vs Module.deserialize()"
        )
    return [cold, warm, speedup]
