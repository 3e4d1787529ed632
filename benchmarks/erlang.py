"""Erlang/OTP baselines: ``wippy_bench.erl`` compiled with erlc and run with erl, if present."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from .harness import Sizes

SOURCE = Path(__file__).with_name("wippy_bench.erl")


def available() -> str | None:
    """None when erl and erlc are on PATH, else why the Erlang column is empty."""
    missing = [tool for tool in ("erl", "erlc") if shutil.which(tool) is None]
    if missing:
        return (
            f"Erlang/OTP column skipped: {' and '.join(missing)} not found "
            "(Debian: apt-get install erlang-base; `make bench` tries that when run as root)"
        )
    return None


def run(sizes: Sizes, timeout: float = 600.0) -> dict[str, list[float]]:
    """Runs every Erlang scenario at ``sizes``; returns samples by key (see the .erl file).

    Raises RuntimeError (with erl's output) when compiling or running fails.
    """
    with tempfile.TemporaryDirectory(prefix="wippy-bench-erl-") as tmp:
        compiled = subprocess.run(
            ["erlc", "-o", tmp, str(SOURCE)], capture_output=True, text=True, check=False
        )
        if compiled.returncode != 0:
            raise RuntimeError(f"erlc failed: {compiled.stdout}{compiled.stderr}")
        args = [
            str(sizes.rounds),
            str(sizes.spawns),
            str(sizes.latencies),
            str(sizes.messages),
            repr(float(sizes.cpu_seconds)),
            str(sizes.sleepers),
            str(sizes.sleep_ms),
            ",".join(str(n) for n in sizes.live),
        ]
        result = subprocess.run(
            ["erl", "-noshell", "-pa", tmp, "+P", "1000000", "-run", "wippy_bench", "main", *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    if result.returncode != 0:
        raise RuntimeError(f"erl exited with {result.returncode}: {result.stdout}{result.stderr}")
    samples: dict[str, list[float]] = {}
    for line in result.stdout.splitlines():
        key, *values = line.split()
        samples[key] = [float(v) for v in values]
    return samples
