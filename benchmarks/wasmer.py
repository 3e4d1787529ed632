"""The optional wasmer column: ``tools/bench-wasmer.py`` run under the Python 3.10 venv."""

from __future__ import annotations

import json
import subprocess
from typing import Any

from .harness import ROOT

SCRIPT = ROOT / "tools" / "bench-wasmer.py"
PYTHON = ROOT / ".venv310" / "bin" / "python"


def available() -> str | None:
    """None when the wasmer helper can run, else why the wasmer column is empty."""
    if not SCRIPT.exists():
        return "wasmer column skipped: tools/bench-wasmer.py does not exist yet"
    if not PYTHON.exists():
        return "wasmer column skipped: .venv310/bin/python (a Python 3.10 venv) is missing"
    return None


def run(mode: str, timeout: float = 300.0) -> tuple[dict[str, list[float]], dict[str, Any]]:
    """Runs the helper in ``mode``; returns wasmer samples by scenario key, and its whole report.

    The helper prints ``{"scenarios": {key: {"samples": {column: [...]}}}}``; the wasmer column
    takes "wippy wasmer" (wippy on the wasmer engine), else "raw wasmer". Raises RuntimeError
    when it fails or reports that it skipped.
    """
    args = [str(PYTHON), str(SCRIPT)] + ([f"--{mode}"] if mode != "full" else [])
    done = subprocess.run(
        args, cwd=ROOT, capture_output=True, text=True, timeout=timeout, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"bench-wasmer.py exited {done.returncode}: {done.stderr[-500:]}")
    report: dict[str, Any] = json.loads(done.stdout)
    if "skipped" in report:
        raise RuntimeError(f"bench-wasmer.py skipped: {report['skipped']}")
    samples: dict[str, list[float]] = {}
    for key, scenario in report.get("scenarios", {}).items():
        columns = scenario.get("samples", {}) if isinstance(scenario, dict) else {}
        for column in ("wippy wasmer", "raw wasmer"):
            values = columns.get(column)
            if isinstance(values, list) and values:
                samples[key] = [float(v) for v in values]
                break
    return samples, report
