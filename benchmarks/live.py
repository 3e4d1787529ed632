"""Memory per live idle process at 1,000 and 10,000 processes, each count in a fresh interpreter.

Each measurement runs in a child interpreter (``python -m benchmarks.live KIND N``) so that its
RSS starts clean and running out of threads or memory maps cannot take the harness down. The
child prints one JSON line and leaves with ``os._exit`` without stopping its processes: they are
parked in long sleeps and are not worth waiting for.

A "live suspended WASM process" is a ``wasi_c_reactor.wasm`` guest waiting in ``sleep_ms`` (a
WASI ``poll_oneoff``): instantiated, its linear memory initialized, its call suspended on its
fiber, holding no thread and no worker. Raw wasmtime-py and Pykka give an idle guest or actor a
thread each (what their users do); the note adds raw wasmtime-py's own async calls with its
default allocator.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from .erlang import ErlangNode
from .harness import (
    ERLANG,
    PYKKA,
    ROOT,
    WASMTIME,
    WIPPY,
    BenchmarkError,
    Goal,
    Scenario,
    Sizes,
    measure,
)
from .stats import Bound

PARK_MS = 600_000
PROGRESS_EVERY = 500  # a progress line every so many processes, in case the child dies


def _rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS in /proc/self/status")


def _maps() -> int:
    return len(Path("/proc/self/maps").read_text().splitlines())


def _child_wippy(n: int) -> None:
    from wippy.actors import EXIT, SpawnError

    from .apps import HOST, SLEEPER, bench_runtime

    with bench_runtime() as rt, rt.process() as me:
        me.spawn_monitored(SLEEPER, HOST, 1)  # compiles and warms everything once
        me.receive(timeout=60)
        rss, maps = _rss_kib(), _maps()
        fitted, error = 0, None
        started = time.perf_counter()

        def suspended() -> int:
            stats = rt.host_stats(HOST)
            if stats.queued or stats.runnable or stats.running:
                return 0  # not all of them are waiting yet
            return rt.stats().processes - 1  # every live process but this handle

        try:
            for _ in range(n):
                me.spawn_monitored(SLEEPER, HOST, PARK_MS)
                fitted += 1
                if fitted % PROGRESS_EVERY == 0:
                    _progress(rss, maps, fitted - rt.host_stats(HOST).queued, started)
        except SpawnError as exc:
            error = f"spawn {fitted + 1} failed: {exc}"
        deadline = time.monotonic() + 120
        while suspended() < fitted and time.monotonic() < deadline:
            event = me.receive(timeout=0.05)
            if event is not None and getattr(event, "type", None) == EXIT:
                error = error or f"a process exited: {event}"
                break
        _emit(_result(rss, maps, suspended(), time.perf_counter() - started, error))
    raise AssertionError("unreachable")


def _child_wasmtime(n: int, threads: bool) -> dict[str, Any]:
    import wasmtime

    from .apps import REACTOR

    engine = wasmtime.Engine()
    module = wasmtime.Module(engine, REACTOR.read_bytes())
    linker = wasmtime.Linker(engine)
    linker.define_wasi()
    keep: list[Any] = []
    lock = threading.Lock()
    inside = [0]

    def instantiate() -> tuple[wasmtime.Store, Any]:
        store = wasmtime.Store(engine)
        store.set_wasi(wasmtime.WasiConfig())
        exports = linker.instantiate(store, module).exports(store)
        exports["_initialize"](store)
        return store, exports

    def park() -> None:
        store, exports = instantiate()
        with lock:
            inside[0] += 1
        exports["sleep_ms"](store, PARK_MS)

    instantiate()  # warm
    rss, maps = _rss_kib(), _maps()
    started = time.perf_counter()
    error = None
    try:
        for i in range(n):
            if threads:
                thread = threading.Thread(target=park, daemon=True)
                thread.start()
            else:
                keep.append(instantiate())
                inside[0] += 1
            if (i + 1) % PROGRESS_EVERY == 0:
                _progress(rss, maps, inside[0], started)
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"
    deadline = time.monotonic() + 120
    while inside[0] < n and error is None and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.2)  # the last threads enter their sleep
    return _result(rss, maps, inside[0], time.perf_counter() - started, error)


def _child_pykka(n: int) -> dict[str, Any]:
    import pykka

    class Idle(pykka.ThreadingActor):
        use_daemon_thread = True

    Idle.start().stop()
    rss, maps = _rss_kib(), _maps()
    started = time.perf_counter()
    fitted, error = 0, None
    try:
        for _ in range(n):
            Idle.start()
            fitted += 1
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"
    time.sleep(0.2)
    return _result(rss, maps, fitted, time.perf_counter() - started, error)


def _progress(rss: int, maps: int, running: int, started: float) -> None:
    """Prints a partial result: what the parent reports if this interpreter dies later."""
    line = _result(rss, maps, running, time.perf_counter() - started, None)
    sys.stdout.write(json.dumps({**line, "partial": True}) + "\n")
    sys.stdout.flush()


def _result(rss: int, maps: int, fitted: int, seconds: float, error: str | None) -> dict[str, Any]:
    per = max(fitted, 1)
    return {
        "kib_per_process": (_rss_kib() - rss) / per,
        "maps_per_process": (_maps() - maps) / per,
        "fitted": fitted,
        "start_seconds": seconds,
        "error": error,
    }


def _emit(result: dict[str, Any]) -> None:
    """Prints ``result`` and ends the interpreter at once (parked processes and all)."""
    sys.stdout.write(json.dumps(result) + "\n")
    sys.stdout.flush()
    os._exit(0)


def child_main(kind: str, n: int) -> None:
    """Measures ``n`` live processes of ``kind`` and prints the JSON result; exits at once."""
    try:
        if kind == "wippy":
            _child_wippy(n)
        elif kind in ("wasmtime", "wasmtime-instances"):
            _emit(_child_wasmtime(n, threads=kind == "wasmtime"))
        elif kind == "pykka":
            _emit(_child_pykka(n))
        else:
            raise ValueError(f"unknown kind {kind!r}")
    except BaseException as exc:
        _emit({"error": f"{type(exc).__name__}: {exc}", "fitted": 0})


def measure_child(kind: str, n: int, timeout: float = 300.0) -> dict[str, Any]:
    """Runs one child measurement; a crash or timeout becomes an ``error`` in the result."""
    try:
        done = subprocess.run(
            [sys.executable, "-m", "benchmarks.live", kind, str(n)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:.0f} s", "fitted": 0}
    lines = done.stdout.strip().splitlines()
    result: dict[str, Any] = json.loads(lines[-1]) if lines else {"fitted": 0}
    if result.pop("partial", False) or not lines:
        result["fitted_at_least"] = True  # the last progress line: more may have started
        tail = [line for line in done.stderr.strip().splitlines() if line.strip()][:2]
        result["error"] = f"the interpreter died (status {done.returncode}): {' / '.join(tail)}"
    return result


CHILD_KINDS = {WIPPY: "wippy", WASMTIME: "wasmtime", PYKKA: "pykka"}


def _child_round(kind: str, n: int, runs: list[dict[str, Any]]) -> Callable[[], float]:
    """A round: a fresh interpreter holding ``n`` live processes; KiB each. Appends its run."""

    def one_round() -> float:
        run = measure_child(kind, n)
        runs.append(run)
        if not run.get("fitted") or "kib_per_process" not in run:
            raise BenchmarkError(f"no {kind} process started: {run.get('error')}")
        return float(run["kib_per_process"])

    return one_round


def _erlang_round(n: int) -> float:
    with ErlangNode() as node:  # a fresh node per round, as the others get a fresh interpreter
        return node.live_kib_per_process(n)


def _fitted_note(runs: list[dict[str, Any]], n: int) -> str | None:
    """``8,412 of 10,000 fit`` (a range over rounds) when some round did not fit all of them."""
    counts = sorted(int(run.get("fitted", 0)) for run in runs)
    if not counts or counts[0] == n:
        return None
    least = "at least " if any(run.get("fitted_at_least") for run in runs) else ""
    fitted = f"{counts[0]:,}" if counts[0] == counts[-1] else f"{counts[0]:,}-{counts[-1]:,}"
    return f"{least}{fitted} of {n:,} fit"


def _live_goal(n: int, wippy_runs: list[dict[str, Any]], medians: dict[str, float]) -> bool:
    """Under 40 KiB per process, and every round fitted all ``n`` processes (issue #12)."""
    return medians[WIPPY] < 40 and all(run.get("fitted") == n for run in wippy_runs)


def _median_of(runs: list[dict[str, Any]], key: str) -> float:
    values = [float(run[key]) for run in runs if key in run]
    return statistics.median(values) if values else float("nan")


def live_processes(counts: tuple[int, ...], sizes: Sizes, use_erlang: bool) -> list[Scenario]:
    """One row per count: RSS growth per live idle process, KiB, over ``sizes.live_rounds``."""
    scenarios = []
    for n in counts:
        runs: dict[str, list[dict[str, Any]]] = {column: [] for column in CHILD_KINDS}
        columns = {column: _child_round(kind, n, runs[column])
                   for column, kind in CHILD_KINDS.items()}
        if use_erlang:
            columns[ERLANG] = partial(_erlang_round, n)
        wippy_runs = runs[WIPPY]
        scenario = Scenario(
            f"live_{n}",
            f"live suspended WASM processes, {n:,}",
            "KiB/process",
            "lower",
            Goal(f"under 40 KiB each; all {n:,} fit (issue #12)",
                 partial(_live_goal, n, wippy_runs)),
            bound=Bound(low=0.0, why_low="below zero (memory was freed during the count)"),
        )
        measure(scenario, columns, sizes.live_rounds, warmup=0)
        for column, column_runs in runs.items():
            note = _fitted_note(column_runs, n)
            if note:
                scenario.cell_notes[column] = note
            errors = sorted({str(run["error"]) for run in column_runs if run.get("error")})
            if errors:
                scenario.notes.append(
                    f"{column}: {note or 'not all started'} (memory measured over those "
                    f"that did), then: {'; '.join(errors)}"
                )
        instances = measure_child("wasmtime-instances", n)
        scenario.extra = {"runs": runs, "raw wasmtime instances without threads": instances}
        scenario.notes.append(
            "raw wasmtime: one thread per instance, blocked in sleep_ms like wippy's; without "
            f"threads an instance costs {instances.get('kib_per_process', 0):.1f} KiB and "
            f"{instances.get('maps_per_process', 0):.1f} memory maps (one run). Memory maps per "
            f"process (median): wippy {_median_of(runs[WIPPY], 'maps_per_process'):.1f}, "
            f"raw wasmtime {_median_of(runs[WASMTIME], 'maps_per_process'):.1f}, "
            f"Pykka {_median_of(runs[PYKKA], 'maps_per_process'):.1f} (vm.max_map_count caps "
            "the total). Erlang: RSS growth of the erl OS process per process blocked in receive"
        )
        scenarios.append(scenario)
    return scenarios


if __name__ == "__main__":
    child_main(sys.argv[1], int(sys.argv[2]))
