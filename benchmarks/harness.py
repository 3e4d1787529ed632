"""The harness: sizes per mode, interleaved rounds, scenario results and the JSON report.

Every scenario is measured by :func:`measure` (or :func:`measure_each` when one round yields
several rows): it takes one round function per column (wippy and each baseline) and runs them
in turn, round by round (a warm-up round of every column, then wippy, baseline, baseline,
wippy, baseline, ...), so drift on a shared machine falls on every column alike. A column whose
round raises fails its scenario: the reason is recorded and the row says so, instead of
reporting a low number.
"""

from __future__ import annotations

import gc
import json
import logging
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from . import stats
from .stats import Bound

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
FULL_REPORT = "full"
"""The committed report's name (``full.json``, ``full.png``): written by a full run only."""
SCRATCH_REPORT = "latest"
"""Every other run's report name (``latest.*``, ignored by git)."""

WIPPY = "wippy"
WASMTIME = "raw wasmtime"
WASMTIME_LOW = "raw wasmtime low-level"
PYKKA = "raw Pykka"
ERLANG = "Erlang/OTP"
WASMER = "wasmer"
PYTHON = "wippy Python function"
"""The same work as a Python function process, beside the rows of other process languages."""
BASELINES = (WASMTIME, WASMTIME_LOW, PYKKA, ERLANG, WASMER, PYTHON)
COLUMNS = (WIPPY, *BASELINES)

log = logging.getLogger("benchmarks")
T = TypeVar("T")


@dataclass(frozen=True)
class Sizes:
    """How much work each scenario does in one mode (``full``, ``quick`` or ``smoke``)."""

    mode: str
    rounds: int  # measured rounds per scenario and column (after one warm-up round)
    live_rounds: int  # measured rounds of the live-process counts (a fresh interpreter each)
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


FULL = Sizes("full", 5, 3, 1_000, 20_000, 200, 20_000, (10_000, 100_000), 0.25, 20, 300, 1_000,
             1_000)
QUICK = Sizes("quick", 3, 2, 300, 5_000, 60, 5_000, (10_000,), 0.1, 20, 120, 1_000, 1_000)
SMOKE = Sizes("smoke", 1, 1, 20, 200, 5, 200, (50,), 0.02, 3, 5, 20, 100)
MODES = {s.mode: s for s in (FULL, QUICK, SMOKE)}


class BenchmarkError(RuntimeError):
    """A round did not do the work it measures (wrong result, timeout): its figure is void."""


def expect(condition: bool, what: str) -> None:
    """Raises :class:`BenchmarkError` with ``what`` unless ``condition`` holds.

    Used instead of ``assert`` inside round functions, which ``python -O`` would drop.
    """
    if not condition:
        raise BenchmarkError(what)


@dataclass(frozen=True)
class Goal:
    """A design goal: its wording and a check on the medians (None when it cannot be judged)."""

    text: str
    check: Callable[[dict[str, float]], bool | None]


@dataclass
class Scenario:
    """One measured row: samples per column (wippy and its baselines), in ``unit``."""

    key: str  # stable id: the JSON key, and the Erlang/wasmer command naming the same work
    name: str
    unit: str
    better: str  # "lower" or "higher"
    goal: Goal | None = None
    bound: Bound | None = None  # what the figures can physically be
    samples: dict[str, list[float]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    cell_notes: dict[str, str] = field(default_factory=dict)  # shown beside a column's figure
    skipped: str | None = None
    failed: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def medians(self) -> dict[str, float]:
        """Median of every column that has samples."""
        return {k: stats.median(v) for k, v in self.samples.items() if v}

    def implausible(self) -> dict[str, str]:
        """Column -> why its median cannot be a real measurement."""
        return stats.implausible(self.medians(), self.bound)

    def goal_met(self) -> bool | None:
        """Whether the goal holds on this run's medians (None: no goal or not judgeable)."""
        return stats.goal_met(self.goal.check if self.goal else None, self.medians(), WIPPY)

    def verdict(self) -> str:
        """failed / skipped / implausible / - / met / MISSED (see :func:`stats.verdict`)."""
        return stats.verdict(failed=self.failed, skipped=self.skipped,
                             implausible=self.implausible(), met=self.goal_met())

    def to_json(self) -> dict[str, Any]:
        """The scenario with every sample and the figures derived from them."""
        medians = self.medians()
        ours = medians.get(WIPPY)
        ratios = {k: stats.ratio(ours, m) for k, m in medians.items() if k != WIPPY}
        return {
            "name": self.name,
            "unit": self.unit,
            "better": self.better,
            "goal": self.goal.text if self.goal else None,
            "goal_met": self.goal_met(),
            "bound": self.bound.to_json() if self.bound else None,
            "implausible": self.implausible(),
            "verdict": self.verdict(),
            "skipped": self.skipped,
            "failed": self.failed,
            "notes": self.notes,
            "cell_notes": self.cell_notes,
            "samples": self.samples,
            "median": medians,
            "spread": {k: stats.spread(v) for k, v in self.samples.items() if v},
            "ratio_to_baseline": {k: r for k, r in ratios.items() if r is not None},
            **({"extra": self.extra} if self.extra else {}),
        }


class RoundFailed(Exception):
    """A column's round raised: ``column`` names it, ``__cause__`` is what it raised."""

    def __init__(self, column: str, error: BaseException) -> None:
        super().__init__(f"{column}: {type(error).__name__}: {error}")
        self.column = column


def interleave(
    columns: Mapping[str, Callable[[], T]], rounds: int, warmup: int = 1
) -> dict[str, list[T]]:
    """Runs every column's round function in turn, ``warmup`` unrecorded rounds then ``rounds``.

    The order within a round is the order of ``columns`` (wippy first, then its baselines).
    Returns the recorded values per column. Raises :class:`RoundFailed` on the first round that
    raises.
    """
    samples: dict[str, list[T]] = {column: [] for column in columns}
    for index in range(warmup + rounds):
        for column, round_fn in columns.items():
            gc.collect()
            try:
                value = round_fn()
            except Exception as exc:
                raise RoundFailed(column, exc) from exc
            if index >= warmup:
                samples[column].append(value)
    return samples


def measure(
    scenario: Scenario,
    columns: Mapping[str, Callable[[], float]],
    rounds: int,
    warmup: int = 1,
) -> Scenario:
    """Measures ``scenario``'s columns interleaved (see :func:`interleave`); returns it.

    A round that raises marks the scenario failed with the column and the error (its samples
    are dropped: a partial row is no evidence) and is logged with its traceback.
    """
    return measure_each(
        [scenario], {c: _as_row(scenario.key, fn) for c, fn in columns.items()}, rounds, warmup
    )[0]


def measure_each(
    scenarios: Sequence[Scenario],
    columns: Mapping[str, Callable[[], Mapping[str, float]]],
    rounds: int,
    warmup: int = 1,
) -> list[Scenario]:
    """Like :func:`measure` for rounds that yield one value per scenario key (e.g. a cold and a
    warm start and their ratio from one round); a failure fails every scenario of the group."""
    try:
        samples = interleave(columns, rounds, warmup)
    except RoundFailed as exc:
        log.error("%s failed: %s", "/".join(s.key for s in scenarios), exc, exc_info=exc)
        for scenario in scenarios:
            scenario.failed = str(exc)
            scenario.samples.clear()
        return list(scenarios)
    for scenario in scenarios:
        for column, values in samples.items():
            scenario.samples[column] = [float(v[scenario.key]) for v in values]
    return list(scenarios)


def _as_row(key: str, round_fn: Callable[[], float]) -> Callable[[], Mapping[str, float]]:
    return lambda: {key: round_fn()}


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


def report_name(sizes: Sizes, only: set[str] | None) -> str:
    """``full`` for a complete full run (the committed report), else ``latest`` (scratch)."""
    return FULL_REPORT if sizes.mode == FULL.mode and only is None else SCRATCH_REPORT


def utc_now() -> str:
    """The current time as the report writes it (``2026-12-01T09:24:00Z``)."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def build_report(
    scenarios: list[Scenario], sizes: Sizes, notes: list[str], elapsed: float, *,
    started: str, machine: dict[str, Any],
) -> dict[str, Any]:
    """The report: when, the mode and sizes, the machine and versions, and every scenario.

    ``started`` and ``machine`` (from :func:`machine_info`) are taken before the run, so the
    load average is the machine's before the benchmarks loaded it.
    """
    return {
        "created": started,
        "finished": utc_now(),
        "mode": sizes.mode,
        "elapsed_s": elapsed,
        "machine": machine,
        "sizes": sizes.__dict__,
        "method": (
            f"every column measured in turn, round by round: 1 warm-up round, then "
            f"{sizes.rounds} rounds ({sizes.live_rounds} for live-process counts); median "
            "± half the min-max range (±? with one sample)"
        ),
        "notes": notes,
        "scenarios": {s.key: s.to_json() for s in scenarios},
    }


def write_report(report: dict[str, Any], out_dir: Path, name: str) -> Path:
    """Writes ``report`` as ``<name>.json`` into ``out_dir``; returns the path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{name}.json"
    path.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    return path
