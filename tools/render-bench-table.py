#!/usr/bin/env python3
"""Renders README.md's benchmark table from the committed report, benchmarks/results/full.json.

Rewrites the block between ``<!-- bench-table: begin ... -->`` and ``<!-- bench-table: end -->``
in README.md with a line naming the machine, the date and the mode, and the table of medians,
spreads, ratios and verdicts, all taken from the report (``benchmarks/report.py`` renders it).
``make bench`` runs this after the full run; ``make bench-table`` runs it alone.

Usage: python tools/render-bench-table.py [--report PATH] [--readme PATH] [--check]
``--check`` changes nothing and exits 1 when the README's table differs from the report's.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.report import markdown, replace_block  # noqa: E402

REPORT = ROOT / "benchmarks" / "results" / "full.json"
README = ROOT / "README.md"
log = logging.getLogger("render-bench-table")


def rendered(report_path: Path, readme_text: str) -> str:
    """``readme_text`` with its benchmark block rendered from the report at ``report_path``."""
    report = json.loads(report_path.read_text(encoding="utf-8"))
    try:
        source = report_path.resolve().relative_to(ROOT).as_posix()
    except ValueError:
        source = str(report_path)
    return replace_block(readme_text, markdown(report, source))


def main(argv: list[str] | None = None) -> int:
    """Rewrites (or with ``--check`` compares) the README's table; 1 on a problem."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--report", type=Path, default=REPORT)
    parser.add_argument("--readme", type=Path, default=README)
    parser.add_argument("--check", action="store_true",
                        help="exit 1 when the README's table is not the report's; change nothing")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        text = args.readme.read_text(encoding="utf-8")
        new = rendered(args.report, text)
    except (OSError, ValueError, KeyError) as exc:
        log.error("render-bench-table: %s", exc)
        return 1
    if args.check:
        if new != text:
            log.error("%s: the benchmark table is not the one %s renders "
                      "(run make bench-table)", args.readme, args.report)
            return 1
        log.info("%s: the benchmark table matches %s", args.readme, args.report)
        return 0
    if new != text:
        args.readme.write_text(new, encoding="utf-8")
        log.info("%s: benchmark table rendered from %s", args.readme, args.report)
    else:
        log.info("%s: benchmark table already up to date", args.readme)
    return 0


if __name__ == "__main__":
    sys.exit(main())
