"""``tools/bench-wasmer.py`` runs (smoke size) and reports every scenario on both engines."""

from __future__ import annotations

import json
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
        assert gil[engine]["guest_ms"] > 0
        assert gil[engine]["progress_ratio"] >= 0
