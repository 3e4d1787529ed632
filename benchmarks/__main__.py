"""Runs the benchmarks: wippy next to raw wasmtime-py, raw Pykka and Erlang/OTP, as ratios.

``python -m benchmarks [--quick | --smoke] [--out DIR] [--no-erlang] [--only KEY,...]``.
Every scenario measures its columns interleaved, round by round (``benchmarks/harness.py``).
Prints a table and writes the report (machine, versions, every sample, medians, spreads,
verdicts) and its chart into ``benchmarks/results/`` (or ``--out``): a complete full run writes
``full.json``/``full.png``, the committed report the README's table is rendered from
(``tools/render-bench-table.py``); every other run writes the scratch ``latest.*``.
Exit status 1 when a scenario failed to run.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from . import (
    calls,
    cluster,
    erlang,
    guest_api,
    live,
    lua,
    messaging,
    scheduler,
    spawning,
    wasmer,
    work,
)
from .apps import bench_runtime
from .chart import write_chart
from .harness import (
    FULL,
    QUICK,
    RESULTS,
    SMOKE,
    Scenario,
    Sizes,
    build_report,
    machine_info,
    report_name,
    utc_now,
    write_report,
)
from .remote import RoundServer
from .report import text_table

log = logging.getLogger("benchmarks")
S = TypeVar("S", bound=RoundServer)


def _guarded(key: str, fn: Callable[[], list[Scenario]]) -> list[Scenario]:
    """Runs one scenario group; a crash outside a round becomes a failed row, not the run's end."""
    try:
        return fn()
    except Exception as exc:
        log.exception("%s crashed", key)
        failed = Scenario(key, key, "-", "lower")
        failed.failed = f"{type(exc).__name__}: {exc}"
        return [failed]


@contextmanager
def _server(
    start: Callable[[], S], why_not: str | None, column: str, notes: list[str]
) -> Iterator[S | None]:
    """The round server of an optional column, or None (with a note saying why)."""
    if why_not is not None:
        notes.append(why_not)
        yield None
        return
    try:
        server = start()
    except (RuntimeError, OSError) as exc:
        log.warning("%s column skipped: %s", column, exc)
        notes.append(f"{column} column skipped: it did not start: {exc}")
        yield None
        return
    with server:
        yield server


def run_all(sizes: Sizes, *, use_erlang: bool, only: set[str] | None) -> tuple[
    list[Scenario], list[str]
]:
    """Runs every scenario (or those in ``only``); returns them and the run's notes."""
    notes: list[str] = []
    scenarios: list[Scenario] = []

    def want(*keys: str) -> bool:
        return only is None or any(k in only for k in keys)

    def group(key: str, fn: Callable[[], list[Scenario]]) -> None:
        started = time.perf_counter()
        log.info("  %s ...", key)
        scenarios.extend(_guarded(key, fn))
        log.info("  %s done in %.1f s", key, time.perf_counter() - started)

    erl_why = erlang.available() if use_erlang else "Erlang/OTP column skipped (--no-erlang)"
    with contextlib.ExitStack() as stack:
        erl = stack.enter_context(_server(erlang.ErlangNode, erl_why, "Erlang/OTP", notes))
        wasm_er = stack.enter_context(
            _server(wasmer.WasmerNode, wasmer.available(), "wasmer", notes)
        )
        if wasm_er is not None:
            notes.append("wasmer column: wippy on the wasmer engine (tools/bench-wasmer.py "
                         "--serve under Python 3.10), interleaved like the others")
        if want("call_overhead"):
            group("call_overhead", lambda: [calls.call_overhead(sizes, wasm_er)])
        if want("instantiate"):
            group("instantiate", lambda: [calls.instantiate_and_call(sizes, wasm_er)])
        with bench_runtime() as rt:
            if want("spawn_seq", "spawn_conc8"):
                group("spawn", lambda: spawning.spawn_run_exit(rt, sizes, erl))
            if want("exit_latency"):
                group("exit_latency", lambda: [spawning.exit_latency(rt, sizes, erl)])
            if want("restart_latency"):
                group("restart_latency", lambda: [spawning.restart_latency(rt, sizes, erl)])
            if want("msgs_1", "msgs_100"):
                group("messages", lambda: messaging.messages(rt, sizes, erl))
            if want("parallel_cpu"):
                group("parallel_cpu", lambda: [work.parallel_cpu(rt, sizes, erl)])
            if want("blocking"):
                group("blocking", lambda: [work.blocking(rt, sizes, erl)])
            if want("loop_fairness"):
                group("loop_fairness", lambda: [scheduler.time_slices(rt, sizes)])
            if want("supervisor_stop"):
                group("supervisor_stop", lambda: [scheduler.supervisor_stop(rt, sizes)])
        if want("start_cold", "start_warm", "start_speedup"):
            group("cold_vs_cached", lambda: work.cold_vs_cached(sizes))
        if want("guest_ping_pong", "guest_stream", "guest_suspended"):
            group("guest_api", lambda: guest_api.guest_api(sizes))
        if want("lua_spawn", "lua_ping_pong", "lua_python_ping_pong", "lua_wasm_ping_pong"):
            group("lua", lambda: lua.scenarios(sizes))
        if want(*(f"live_{n}" for n in sizes.live)):
            counts = tuple(n for n in sizes.live if want(f"live_{n}"))
            group("live", lambda: live.live_processes(counts, sizes, erl is not None))
        if want(*cluster.KEYS):  # two nodes of a local Ray cluster; rows skipped without Ray
            group("cluster", lambda: cluster.cluster_scenarios(sizes))
        if wasm_er is not None:
            notes.append(_gil_note(wasm_er, sizes))
    return scenarios, notes


def _gil_note(server: RoundServer, sizes: Sizes) -> str:
    """What wasmer holding the GIL costs other Python threads (a note, not a table row)."""
    try:
        ratios = sorted(server.request("gil_impact", sizes.cpu_seconds)
                        for _ in range(sizes.rounds))
    except Exception as exc:
        return f"wasmer GIL impact not measured: {exc}"
    return (
        "wasmer GIL impact: a Python thread's progress rate while a wippy-on-wasmer guest "
        f"spins {sizes.cpu_seconds:g} s, relative to its rate alone, per round: "
        f"{', '.join(f'{r:.2f}' for r in ratios)} "
        "(wasmtime-py releases the GIL while a guest runs; see tools/bench-wasmer.py)"
    )


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``python -m benchmarks``."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true", help="a reduced set, under two minutes")
    size.add_argument("--smoke", action="store_true", help="the smallest run, seconds (tests)")
    parser.add_argument("--out", type=Path, default=RESULTS, help="where to write the report")
    parser.add_argument("--no-erlang", action="store_true", help="skip the Erlang/OTP column")
    parser.add_argument("--only", help="comma-separated scenario keys to run")
    args = parser.parse_args(argv)
    sizes = SMOKE if args.smoke else QUICK if args.quick else FULL
    only = set(args.only.split(",")) if args.only else None
    logging.basicConfig(level=logging.ERROR, format="%(message)s")
    log.setLevel(logging.INFO)
    when, machine = utc_now(), machine_info()  # before the run loads the machine
    started = time.perf_counter()
    log.info("wippy benchmarks (%s)", sizes.mode)
    scenarios, notes = run_all(sizes, use_erlang=not args.no_erlang, only=only)
    elapsed = time.perf_counter() - started
    report = build_report(scenarios, sizes, notes, elapsed, started=when, machine=machine)
    name = report_name(sizes, only)
    path = write_report(report, args.out, name)
    problem = write_chart(scenarios, args.out / f"{name}.png", f"wippy benchmarks ({sizes.mode})")
    print(text_table(report))
    for scenario in scenarios:
        reasons = [r for r in (scenario.failed, scenario.skipped) if r]
        for note in reasons + scenario.notes:
            print(f"- {scenario.name}: {note}")
    for note in notes + ([problem] if problem else []):
        print(f"- {note}")
    print(f"report: {path} ({elapsed:.0f} s)")
    failed = [f"{s.key}: {s.failed}" for s in scenarios if s.failed]
    if failed:
        log.error("failed: %s", "; ".join(failed))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
