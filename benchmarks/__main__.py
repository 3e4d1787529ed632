"""Runs the benchmarks: wippy next to raw wasmtime-py, raw Pykka and Erlang/OTP, as ratios.

``python -m benchmarks [--quick | --smoke] [--out DIR] [--no-erlang] [--only KEY,...]``.
Prints a table and writes ``latest.json`` (machine, versions, every sample) and ``latest.png``
into ``benchmarks/results/`` (or ``--out``). Exit status 1 when a scenario failed to run.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path

from . import calls, cluster, erlang, live, messaging, spawning, wasmer, work
from .apps import bench_runtime
from .chart import write_chart
from .harness import (
    COLUMNS,
    ERLANG,
    FULL,
    QUICK,
    RESULTS,
    SMOKE,
    WASMER,
    Scenario,
    Sizes,
    table,
    write_report,
)


def _guarded(
    failures: list[str], key: str, fn: Callable[[], list[Scenario]]
) -> list[Scenario]:
    """Runs one scenario group; a crash becomes a failed, skipped row instead of ending the run."""
    try:
        return fn()
    except Exception as exc:
        failures.append(f"{key}: {type(exc).__name__}: {exc}")
        traceback.print_exc()
        failed = Scenario(key, key, "-", "lower")
        failed.skipped = f"failed: {type(exc).__name__}: {exc}"
        return [failed]


def run_all(sizes: Sizes, *, use_erlang: bool, only: set[str] | None) -> tuple[
    list[Scenario], list[str], list[str]
]:
    """Runs every scenario (or those in ``only``); returns them, run notes and failures."""
    notes: list[str] = []
    failures: list[str] = []
    scenarios: list[Scenario] = []

    def want(*keys: str) -> bool:
        return only is None or any(k in only for k in keys)

    def group(key: str, fn: Callable[[], list[Scenario]]) -> None:
        started = time.perf_counter()
        print(f"  {key} ...", file=sys.stderr, flush=True)
        scenarios.extend(_guarded(failures, key, fn))
        print(f"  {key} done in {time.perf_counter() - started:.1f} s", file=sys.stderr)

    if want("call_overhead"):
        group("call_overhead", lambda: [calls.call_overhead(sizes)])
    if want("instantiate"):
        group("instantiate", lambda: [calls.instantiate_and_call(sizes)])
    with bench_runtime() as rt:
        if want("spawn_seq", "spawn_conc8"):
            group("spawn", lambda: spawning.spawn_run_exit(rt, sizes))
        if want("exit_latency"):
            group("exit_latency", lambda: [spawning.exit_latency(rt, sizes)])
        if want("restart_latency"):
            group("restart_latency", lambda: [spawning.restart_latency(rt, sizes)])
        if want("msgs_1", "msgs_100"):
            group("messages", lambda: messaging.messages(rt, sizes))
        if want("parallel_cpu"):
            group("parallel_cpu", lambda: [work.parallel_cpu(rt, sizes)])
        if want("blocking"):
            group("blocking", lambda: [work.blocking(rt, sizes)])
    if want("start_cold", "start_warm", "start_speedup"):
        group("cold_vs_cached", lambda: work.cold_vs_cached(sizes))
    if want(*(f"live_{n}" for n in sizes.live)):
        counts = tuple(n for n in sizes.live if want(f"live_{n}"))
        group("live", lambda: live.live_processes(counts))
    if want(*cluster.KEYS):  # two nodes of a local Ray cluster; rows skipped without Ray
        group("cluster", lambda: cluster.cluster_scenarios(sizes))

    _add_baselines(scenarios, sizes, use_erlang, notes, failures)
    return scenarios, notes, failures


def _add_baselines(
    scenarios: list[Scenario], sizes: Sizes, use_erlang: bool, notes: list[str],
    failures: list[str],
) -> None:
    by_key = {s.key: s for s in scenarios}
    why = erlang.available() if use_erlang else "Erlang/OTP column skipped (--no-erlang)"
    if why is None:
        print("  erlang ...", file=sys.stderr, flush=True)
        try:
            for key, samples in erlang.run(sizes).items():
                if key in by_key:
                    by_key[key].samples[ERLANG] = samples
        except (RuntimeError, OSError) as exc:
            failures.append(f"erlang: {exc}")
            notes.append(f"Erlang/OTP column failed: {exc}")
    else:
        notes.append(why)
    why = wasmer.available()
    if why is None:
        print("  wasmer ...", file=sys.stderr, flush=True)
        try:
            found, report = wasmer.run(sizes.mode)
            for key, samples in found.items():
                if key in by_key:
                    by_key[key].samples[WASMER] = samples
                    by_key[key].extra["wasmer report"] = report["scenarios"][key]
            notes.append(
                "wasmer column: wippy on the wasmer engine, from tools/bench-wasmer.py (Python "
                f"3.10): {', '.join(found) or 'no shared scenario'}"
            )
            gil = report.get("scenarios", {}).get("gil_impact")
            if isinstance(gil, dict):
                ratios = {k: v.get("progress_ratio") for k, v in gil.items() if isinstance(v, dict)}
                notes.append(f"wasmer GIL impact (a Python thread's progress while a guest "
                             f"spins, relative to idle): {ratios}")
        except Exception as exc:
            notes.append(f"wasmer column failed: {type(exc).__name__}: {exc}")
    else:
        notes.append(why)


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``python -m benchmarks``."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true", help="a reduced set, under a minute")
    size.add_argument("--smoke", action="store_true", help="the smallest run, seconds (tests)")
    parser.add_argument("--out", type=Path, default=RESULTS, help="where to write the report")
    parser.add_argument("--no-erlang", action="store_true", help="skip the Erlang/OTP column")
    parser.add_argument("--only", help="comma-separated scenario keys to run")
    args = parser.parse_args(argv)
    sizes = SMOKE if args.smoke else QUICK if args.quick else FULL
    only = set(args.only.split(",")) if args.only else None
    logging.basicConfig(level=logging.ERROR)
    started = time.perf_counter()
    print(f"wippy benchmarks ({sizes.mode})", file=sys.stderr)
    scenarios, notes, failures = run_all(sizes, use_erlang=not args.no_erlang, only=only)
    elapsed = time.perf_counter() - started
    columns = tuple(c for c in COLUMNS if any(c in s.samples for s in scenarios))
    print(table(scenarios, columns))
    for scenario in scenarios:
        for note in ([scenario.skipped] if scenario.skipped else []) + scenario.notes:
            print(f"- {scenario.name}: {note}")
    for note in notes:
        print(f"- {note}")
    path = write_report(scenarios, sizes, args.out, notes, elapsed)
    problem = write_chart(scenarios, args.out / "latest.png", f"wippy benchmarks ({sizes.mode})")
    if problem:
        print(f"- {problem}")
    print(f"report: {path} ({elapsed:.0f} s)")
    if failures:
        print("failed: " + "; ".join(failures), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
