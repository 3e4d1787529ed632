"""The benchmark harness runs end to end in its smallest configuration (no timing asserted)."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

from benchmarks.cluster import KEYS as CLUSTER_KEYS
from benchmarks.harness import SMOKE, WASMTIME, WIPPY

ROOT = Path(__file__).resolve().parents[1]
HAVE_RAY = importlib.util.find_spec("ray") is not None

EXPECTED = {
    "call_overhead": (WIPPY, WASMTIME),
    "instantiate": (WIPPY, WASMTIME),
    "spawn_seq": (WIPPY, WASMTIME, "raw Pykka"),
    "spawn_conc8": (WIPPY, WASMTIME, "raw Pykka"),
    "exit_latency": (WIPPY, "raw Pykka"),
    "restart_latency": (WIPPY,),
    "msgs_1": (WIPPY, "raw Pykka"),
    "msgs_100": (WIPPY, "raw Pykka"),
    "parallel_cpu": (WIPPY, WASMTIME),
    "blocking": (WIPPY, WASMTIME),
    "start_cold": (WIPPY, WASMTIME),
    "start_warm": (WIPPY, WASMTIME),
    "start_speedup": (WIPPY, WASMTIME),
    **{f"live_{n}": (WIPPY, WASMTIME, "raw Pykka") for n in SMOKE.live},
    # With Ray installed (the cluster extra): two nodes of a local Ray cluster.
    **({key: (WIPPY,) for key in CLUSTER_KEYS} if HAVE_RAY else {}),
}


def test_smoke_run_reports_every_scenario_with_samples(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--smoke", "--no-erlang", "--out", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads((tmp_path / "latest.json").read_text())
    assert report["mode"] == "smoke"
    assert report["machine"]["wasmtime"] and report["machine"]["cpus"]
    assert set(report["scenarios"]) == set(EXPECTED) | set(CLUSTER_KEYS)
    if not HAVE_RAY:
        assert all("Ray is not installed" in report["scenarios"][k]["skipped"]
                   for k in CLUSTER_KEYS)
    for key, columns in EXPECTED.items():
        scenario = report["scenarios"][key]
        assert scenario["skipped"] is None, (key, scenario["skipped"])
        for column in columns:
            samples = scenario["samples"].get(column)
            assert samples and all(s > 0 for s in samples), (key, column, scenario)
    assert (tmp_path / "latest.png").stat().st_size > 0
    assert "scenario" in done.stdout and "spawn-run-exit, sequential" in done.stdout
