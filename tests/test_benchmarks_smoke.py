"""The benchmark harness runs end to end in its smallest configuration (no timing asserted)."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

from benchmarks.cluster import KEYS as CLUSTER_KEYS
from benchmarks.harness import PYKKA, PYTHON, SMOKE, WASMTIME, WASMTIME_LOW, WIPPY

ROOT = Path(__file__).resolve().parents[1]
HAVE_RAY = importlib.util.find_spec("ray") is not None

EXPECTED = {
    "call_overhead": (WIPPY, WASMTIME, WASMTIME_LOW),
    "instantiate": (WIPPY, WASMTIME, WASMTIME_LOW),
    "spawn_seq": (WIPPY, WASMTIME, WASMTIME_LOW, PYKKA),
    "spawn_conc8": (WIPPY, WASMTIME, WASMTIME_LOW, PYKKA),
    "exit_latency": (WIPPY, PYKKA),
    "restart_latency": (WIPPY,),
    "msgs_1": (WIPPY, PYKKA),
    "msgs_100": (WIPPY, PYKKA),
    "guest_ping_pong": (WIPPY, PYKKA),
    "guest_stream": (WIPPY, PYKKA),
    **{f"guest_suspended_{n}": (WIPPY,) for n in (max(SMOKE.live),)},
    "parallel_cpu": (WIPPY, WASMTIME),
    "blocking": (WIPPY, WASMTIME),
    "loop_fairness": (WIPPY,),
    "supervisor_stop": (WIPPY,),
    "lua_spawn": (WIPPY, PYTHON),
    "lua_ping_pong": (WIPPY,),
    "lua_python_ping_pong": (WIPPY,),
    "lua_wasm_ping_pong": (WIPPY, PYTHON),
    "start_cold": (WIPPY, WASMTIME),
    "start_warm": (WIPPY, WASMTIME),
    "start_speedup": (WIPPY, WASMTIME),
    **{f"live_{n}": (WIPPY, WASMTIME, PYKKA) for n in SMOKE.live},
    # With Ray installed (the cluster extra): two nodes of a local Ray cluster.
    **({key: (WIPPY,) for key in CLUSTER_KEYS} if HAVE_RAY else {}),
}


def test_smoke_run_reports_every_scenario_with_samples(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--smoke", "--no-erlang", "--out", str(tmp_path)],
        cwd=ROOT,
        env={**os.environ, "MPLCONFIGDIR": str(tmp_path / "matplotlib")},  # not under ~/.cache
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert not (tmp_path / "full.json").exists()  # only a complete full run writes that one
    report = json.loads((tmp_path / "latest.json").read_text())
    assert report["mode"] == "smoke"
    assert report["machine"]["wasmtime"] and report["machine"]["cpus"]
    assert set(report["scenarios"]) == set(EXPECTED) | set(CLUSTER_KEYS)
    if not HAVE_RAY:
        assert all("Ray is not installed" in report["scenarios"][k]["skipped"]
                   for k in CLUSTER_KEYS)
    for key, columns in EXPECTED.items():
        scenario = report["scenarios"][key]
        assert scenario["skipped"] is None and scenario["failed"] is None, (key, scenario)
        for column in columns:
            samples = scenario["samples"].get(column)
            assert samples and all(s > 0 for s in samples), (key, column, scenario)
            assert len(samples) == SMOKE.rounds, (key, column, samples)
            # one round: the spread is unknown, and the table says so instead of "±0%"
            assert scenario["spread"][column]["rel_half_range"] is None, (key, column)
    assert (tmp_path / "latest.png").stat().st_size > 0
    assert "scenario" in done.stdout and "spawn-run-exit, sequential" in done.stdout
    assert "±?" in done.stdout and "±0%" not in done.stdout
