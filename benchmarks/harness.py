"""The harness: sizes per mode, repeated rounds, scenario results, the table and the JSON report."""

from __future__ import annotations

import gc
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"

WIPPY = "wippy"
WASMTIME = "raw wasmtime"
PYKKA = "raw Pykka"
ERLANG = "Erlang/OTP"
WASMER = "wasmer"
BASELINES = (WASMTIME, PYKKA, ERLANG, WASMER)
COLUMNS = (WIPPY, *BASELINES)


@dataclass(frozen=True)
class Sizes:
    """How much work each scenario does in one mode (``full``, ``quick`` or ``smoke``)."""

    mode: str
    rounds: int  # measured rounds per scenario (after one warm-up round)
    spawns: int  # processes per spawn-run-exit round
    calls: int  # export calls per call-overhead round
    latencies: int  # crashes per exit/restart latency round
    messages: int  # messages per messaging round
    live: tuple[int, ...]  # live-process counts for the memory scenario
    cpu_seconds: float  # target duration of one CPU-bound guest run
    modules: int  # modules in the cold/cached start app
    functions: int  # functions per generated module
    sleepers: int  # processes in the blocking scenario
    sleep_ms: int  # how long each of them sleeps


FULL = Sizes("full", 5, 1_000, 20_000, 200, 20_000, (1_000, 10_000), 0.25, 20, 300, 1_000, 1_000)
QUICK = Sizes("quick", 3, 300, 5_000, 60, 5_000, (1_000,), 0.1, 20, 120, 1_000, 1_000)
SMOKE = Sizes("smoke", 1, 20, 200, 5, 200, (50,), 0.02, 3, 5, 20, 100)
MODES = {s.mode: s for s in (FULL, QUICK, SMOKE)}


@dataclass(frozen=True)
class Goal:
    """A design goal: its wording and a check on the medians (None when it cannot be judged)."""

    text: str
    check: Callable[[dict[str, float]], bool | None]


@dataclass
class Scenario:
    """One measured row: samples per column (wippy and its baselines), in ``unit``."""

    key: str  # stable id: the JSON key, and the Erlang/wasmer result naming the same work
    name: str
    unit: str
    better: str  # "lower" or "higher"
    goal: Goal | None = None
    samples: dict[str, list[float]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    skipped: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def medians(self) -> dict[str, float]:
        """Median of every column that has samples."""
        return {k: statistics.median(v) for k, v in self.samples.items() if v}

    def goal_met(self) -> bool | None:
        """Whether the goal holds on this run's medians (None: no goal or no wippy numbers)."""
        medians = self.medians()
        if self.goal is None or WIPPY not in medians:
            return None
        try:
            return self.goal.check(medians)
        except KeyError:  # the baseline the goal compares with is missing
            return None

    def to_json(self) -> dict[str, Any]:
        """The scenario with every sample, medians, spreads and ratios."""
        medians = self.medians()
        ours = medians.get(WIPPY)
        return {
            "name": self.name,
            "unit": self.unit,
            "better": self.better,
            "goal": self.goal.text if self.goal else None,
            "goal_met": self.goal_met(),
            "skipped": self.skipped,
            "notes": self.notes,
            "samples": self.samples,
            "median": medians,
            "spread": {k: spread(v) for k, v in self.samples.items() if v},
            "ratio_to_baseline": {
                k: ours / m for k, m in medians.items() if k != WIPPY and ours is not None and m
            },
            **({"extra": self.extra} if self.extra else {}),
        }


def spread(samples: list[float]) -> dict[str, float]:
    """min, max and quartiles of ``samples``, plus the half-range relative to the median."""
    ordered = sorted(samples)
    median = statistics.median(ordered)
    quartiles = statistics.quantiles(ordered, n=4) if len(ordered) > 1 else [median] * 3
    return {
        "min": ordered[0],
        "p25": quartiles[0],
        "p75": quartiles[2],
        "max": ordered[-1],
        "rel_half_range": (ordered[-1] - ordered[0]) / 2 / median if median else 0.0,
    }


def rounds(fn: Callable[[], float], sizes: Sizes, warmup: int = 1) -> list[float]:
    """Runs ``fn`` ``warmup`` times unrecorded, then ``sizes.rounds`` times; returns its values."""
    for _ in range(warmup):
        fn()
    values = []
    for _ in range(sizes.rounds):
        gc.collect()
        values.append(fn())
    return values


def per_op_us(fn: Callable[[], int]) -> Callable[[], float]:
    """Wraps ``fn`` (returning how many operations it did) to return µs per operation."""

    def timed() -> float:
        started = time.perf_counter()
        ops = fn()
        return (time.perf_counter() - started) / ops * 1e6

    return timed


def per_second(fn: Callable[[], int]) -> Callable[[], float]:
    """Wraps ``fn`` (returning how many operations it did) to return operations per second."""

    def timed() -> float:
        started = time.perf_counter()
        ops = fn()
        return ops / (time.perf_counter() - started)

    return timed


def machine_info() -> dict[str, Any]:
    """CPU, memory, OS and the versions of everything measured."""
    from wippy import __version__

    info: dict[str, Any] = {
        "python": sys.version,
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "cpu_model": _cpu_model(),
        "memory_kib": _meminfo("MemTotal"),
        "load_average": os.getloadavg(),
        "vm.max_map_count": _read_int("/proc/sys/vm/max_map_count"),
        "wippy": __version__,
        "pykka": _dist_version("pykka"),
        "wasmtime": _dist_version("wasmtime"),
    }
    try:
        erl = subprocess.run(
            ["erl", "-noshell", "-eval",
             'io:format("~s ~s", [erlang:system_info(otp_release), '
             'erlang:system_info(version)]), halt().'],
            capture_output=True, text=True, timeout=30, check=False,
        )
        info["erlang"] = f"OTP {erl.stdout.split()[0]}, erts {erl.stdout.split()[1]}"
    except (OSError, IndexError, subprocess.TimeoutExpired):
        info["erlang"] = None
    return info


def _dist_version(name: str) -> str | None:
    from importlib import metadata

    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def _cpu_model() -> str | None:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or None


def _meminfo(key: str) -> int | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return None


def _read_int(path: str) -> int | None:
    try:
        return int(Path(path).read_text().strip())
    except (OSError, ValueError):
        return None


def fmt(value: float | None) -> str:
    """A number with three significant digits (thousands separated), '-' for None."""
    if value is None:
        return "-"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    if abs(value) >= 100:
        return f"{value:.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def table(scenarios: list[Scenario], columns: tuple[str, ...]) -> str:
    """The text table: scenario, unit, wippy (± half-range), each baseline, ratios, goal."""
    headers = ["scenario", "unit", *columns, *(f"wippy/{_short(c)}" for c in columns[1:]), "goal"]
    rows = []
    for s in scenarios:
        medians = s.medians()
        cells = [s.name, s.unit]
        for column in columns:
            if column not in medians:
                cells.append("-")
                continue
            half = spread(s.samples[column])["rel_half_range"]
            cells.append(f"{fmt(medians[column])} ±{half * 100:.0f}%")
        ours = medians.get(WIPPY)
        for column in columns[1:]:
            base = medians.get(column)
            cells.append(f"{ours / base:.2f}x" if ours is not None and base else "-")
        met = s.goal_met()
        if s.skipped:
            cells.append("skipped")
        else:
            cells.append("-" if met is None else ("met" if met else "MISSED"))
        rows.append(cells)
    widths = [max(len(r[i]) for r in [headers, *rows]) for i in range(len(headers))]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths)) for r in rows]
    return "\n".join(lines)


def _short(column: str) -> str:
    return {WASMTIME: "wasmtime", PYKKA: "pykka", ERLANG: "erlang", WASMER: "wasmer"}[column]


def write_report(
    scenarios: list[Scenario], sizes: Sizes, out_dir: Path, notes: list[str], elapsed: float
) -> Path:
    """Writes ``latest.json`` (machine info, versions, sizes, every sample) into ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    report = {
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "mode": sizes.mode,
        "elapsed_s": elapsed,
        "machine": machine_info(),
        "sizes": sizes.__dict__,
        "notes": notes,
        "scenarios": {s.key: s.to_json() for s in scenarios},
    }
    path = out_dir / "latest.json"
    path.write_text(json.dumps(report, indent=2, ensure_ascii=False))
    return path
