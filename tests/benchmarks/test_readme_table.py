"""README.md's benchmark table is the one the committed full report renders."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from benchmarks.report import BEGIN, END, markdown
from tests.conftest import ROOT

COMMITTED = ROOT / "benchmarks" / "results" / "full.json"
README = ROOT / "README.md"


def test_the_readme_table_is_the_one_the_committed_report_renders() -> None:
    report = json.loads(COMMITTED.read_text(encoding="utf-8"))
    assert report["mode"] == "full"
    block = markdown(report, "benchmarks/results/full.json")
    readme = README.read_text(encoding="utf-8")
    assert block in readme, "README.md's benchmark table is stale: run make bench-table"
    assert readme.count(BEGIN) == 1 and readme.count(END) == 1


def test_the_committed_report_has_several_rounds_of_every_scenario() -> None:
    report = json.loads(COMMITTED.read_text(encoding="utf-8"))
    for key, scenario in report["scenarios"].items():
        if scenario["failed"] or scenario["skipped"]:
            continue
        for column, samples in scenario["samples"].items():
            assert len(samples) >= 2, (key, column)
            assert scenario["spread"][column]["rel_half_range"] is not None, (key, column)


def test_render_tool_check_mode_passes_on_the_checkout_and_fails_on_a_stale_readme(
    tmp_path: Path,
) -> None:
    tool = [sys.executable, str(ROOT / "tools" / "render-bench-table.py")]
    ok = subprocess.run([*tool, "--check"], capture_output=True, text=True, timeout=60,
                        check=False)
    assert ok.returncode == 0, ok.stderr
    stale = tmp_path / "README.md"
    stale.write_text(f"# x\n{BEGIN} -->\n| old |\n{END}\n")
    bad = subprocess.run([*tool, "--check", "--readme", str(stale)], capture_output=True,
                         text=True, timeout=60, check=False)
    assert bad.returncode == 1 and "run make bench-table" in bad.stderr
    fixed = subprocess.run([*tool, "--readme", str(stale)], capture_output=True, text=True,
                           timeout=60, check=False)
    assert fixed.returncode == 0, fixed.stderr
    assert "| old |" not in stale.read_text() and "| scenario | unit | wippy |" in stale.read_text()
