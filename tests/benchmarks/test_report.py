"""Tables rendered from a report: the text table a run prints and the README's Markdown."""

from __future__ import annotations

from typing import Any

import pytest

from benchmarks.harness import ERLANG, PYKKA, WASMTIME, WASMTIME_LOW, WIPPY, Goal, Scenario
from benchmarks.report import BEGIN, END, markdown, replace_block, text_table
from benchmarks.report import TIMES as X
from benchmarks.stats import speedup_bound


def _report() -> dict[str, Any]:
    calls = Scenario("call_overhead", "call overhead", "µs/call", "lower",
                     Goal("under 10 µs", lambda m: m[WIPPY] < 10))
    calls.samples = {WIPPY: [4.0, 4.1, 4.2], WASMTIME: [25.0, 25.0, 26.0],
                     WASMTIME_LOW: [3.0, 3.1, 3.2]}
    cpu = Scenario("parallel_cpu", "parallel CPU", "speedup", "higher",
                   Goal("at least 1.8x", lambda m: m[WIPPY] >= 1.8), bound=speedup_bound(2, 2))
    cpu.samples = {WIPPY: [2.1, 2.16, 2.2], ERLANG: [1.9, 1.95, 1.97]}
    live = Scenario("live_10000", "live idle processes, 10,000", "KiB/process", "lower")
    live.samples = {WIPPY: [65.0], PYKKA: [22.0]}
    live.cell_notes = {WIPPY: "8,412 of 10,000 fit"}
    return {
        "created": "2026-12-01T09:00:00Z",
        "mode": "full",
        "method": "interleaved rounds",
        "machine": {"cpus": 2, "cpu_model": "Test CPU", "memory_kib": 8 * 1024**2,
                    "platform": "Linux-test", "machine": "x86_64", "python": "3.11.7 (main)",
                    "wippy": "0.1", "wasmtime": "50.0.1", "pykka": "4.5.0",
                    "erlang": "OTP 25, erts 13.1", "load_average": [0.5, 0.25, 0.1]},
        "scenarios": {s.key: s.to_json() for s in (calls, cpu, live)},
    }


def test_markdown_names_machine_date_and_mode_beside_the_numbers() -> None:
    block = markdown(_report(), "benchmarks/results/full.json")
    lines = block.splitlines()
    assert lines[0].startswith(BEGIN) and "benchmarks/results/full.json" in lines[0]
    assert lines[-1] == END
    assert lines[1].startswith("Measured 2026-12-01 09:00 UTC in mode `full`")
    assert "2 CPUs (Test CPU), 8.0 GiB RAM" in lines[1] and "OTP 25" in lines[1]
    assert lines[3] == (
        "| scenario | unit | wippy | raw wasmtime | raw wasmtime low-level | raw Pykka | "
        "Erlang/OTP | goal (issue) | verdict |"
    )


def test_markdown_rows_show_spreads_ratios_notes_and_verdicts() -> None:
    rows = markdown(_report(), "r.json").splitlines()[5:-1]
    assert rows[0] == (f"| call overhead | µs/call | 4.10 ±2% | 25.0 ±2% (0.16{X}) | "
                       f"3.10 ±3% (1.32{X}) | - | - | under 10 µs | met |")
    assert rows[1].endswith("| at least 1.8x | implausible: above core count (wippy) |")
    assert f"| 65.0 ±?, 8,412 of 10,000 fit | - | - | 22.0 ±? (2.95{X}) |" in rows[2]


def test_text_table_has_the_same_figures_and_ratio_columns() -> None:
    table = text_table(_report())
    header = table.splitlines()[0].split()
    assert header[:3] == ["scenario", "unit", "wippy"] and header[-1] == "verdict"
    assert "wippy/wasmtime-ll" in header
    assert "4.10 ±2%" in table and "0.16x" in table and "65.0 ±?" in table


def test_replace_block_rewrites_only_between_the_markers() -> None:
    text = f"intro\n{BEGIN} old -->\nold table\n{END}\noutro\n"
    assert replace_block(text, f"{BEGIN} new -->\nnew\n{END}\n") == (
        f"intro\n{BEGIN} new -->\nnew\n{END}\noutro\n"
    )
    with pytest.raises(ValueError, match="no '<!-- bench-table: begin"):
        replace_block("no markers here", "x")
