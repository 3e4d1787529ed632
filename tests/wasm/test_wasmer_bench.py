"""``tools/bench-wasmer.py`` runs (smoke size) and reports every scenario on both engines."""

from __future__ import annotations

import json
import statistics
import subprocess
import sys

import pytest

from tests.conftest import ROOT


def test_bench_wasmer_reports_both_engines() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "bench-wasmer.py"), "--smoke"],
        capture_output=True, text=True, timeout=240, check=True,
    )
    report = json.loads(done.stdout)
    if "skipped" in report:
        pytest.skip(report["skipped"])
    scenarios = report["scenarios"]
    for name in ("call_overhead", "instantiate", "instantiate_wasi"):
        medians = scenarios[name]["median"]
        assert {"wippy wasmtime", "wippy wasmer"} <= set(medians)
        assert all(value > 0 for value in medians.values())
    assert {"raw wasmtime", "raw wasmer"} <= set(scenarios["call_overhead"]["median"])
    gil = scenarios["gil_impact"]
    for engine in ("wippy wasmtime", "wippy wasmer"):
        figures = gil[engine]
        # one sample per round (--smoke: 1), and the figures are the medians of those samples
        assert len(figures["samples"]["progress_ratio"]) == 1, figures
        assert figures["progress_ratio"] == statistics.median(figures["samples"]["progress_ratio"])
        assert figures["max_stall_ms"] == statistics.median(figures["samples"]["max_stall_ms"])
        assert figures["guest_ms"] > 0 and figures["count_n"] > 0, figures
