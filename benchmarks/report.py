"""Tables from a report (the JSON that ``python -m benchmarks`` writes): text and Markdown.

Both render from the report alone (its medians, spreads, ratios and verdicts), so the table a
run prints, the committed ``full.json`` and the README table rendered from it by
``tools/render-bench-table.py`` show the same figures.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from .harness import COLUMNS, WIPPY
from .stats import fmt, spread_text

TIMES = "\u00d7"  # the multiplication sign, after a ratio
BEGIN = "<!-- bench-table: begin"
END = "<!-- bench-table: end -->"
SHORT = {
    "raw wasmtime": "wasmtime",
    "raw wasmtime low-level": "wasmtime-ll",
    "raw Pykka": "pykka",
    "Erlang/OTP": "erlang",
    "wasmer": "wasmer",
    "wippy Python function": "python",
}


def columns_of(report: dict[str, Any]) -> tuple[str, ...]:
    """The columns (in the standard order) that have a figure in at least one scenario."""
    seen = {c for s in report["scenarios"].values() for c in s["median"]}
    return tuple(c for c in COLUMNS if c in seen)


def figure(scenario: dict[str, Any], column: str, ratio: bool = False) -> str:
    """``median ±spread`` of one column (``±?`` when unknown), then, with ``ratio``, wippy's
    ratio to it (baselines only), then its cell note; ``-`` when it has no figure."""
    if column not in scenario["median"]:
        return "-"
    half = scenario["spread"][column]["rel_half_range"]
    text = f"{fmt(scenario['median'][column])} {spread_text(half)}"
    times = scenario["ratio_to_baseline"].get(column) if ratio and column != WIPPY else None
    if times is not None:
        text += f" ({fmt(times)}{TIMES})"
    note = scenario.get("cell_notes", {}).get(column)
    return f"{text}, {note}" if note else text


def text_table(report: dict[str, Any]) -> str:
    """The table a run prints: every column's figure, wippy's ratio to each, the verdict."""
    columns = columns_of(report)
    headers = ["scenario", "unit", *columns, *(f"wippy/{SHORT[c]}" for c in columns[1:]),
               "verdict"]
    rows = []
    for scenario in report["scenarios"].values():
        cells = [scenario["name"], scenario["unit"], *(figure(scenario, c) for c in columns)]
        ratios = scenario["ratio_to_baseline"]
        cells += [f"{ratios[c]:.2f}x" if c in ratios else "-" for c in columns[1:]]
        cells.append(scenario["verdict"])
        rows.append(cells)
    widths = [max(len(r[i]) for r in [headers, *rows]) for i in range(len(headers))]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths)) for r in rows]
    return "\n".join(lines)


def machine_line(report: dict[str, Any]) -> str:
    """Where and when the report was measured, and with which versions."""
    m = report["machine"]
    memory = f", {m['memory_kib'] / 1024**2:.1f} GiB RAM" if m.get("memory_kib") else ""
    python = m["python"].split()[0]
    erlang = f", {m['erlang']}" if m.get("erlang") else ""
    load = ", ".join(f"{x:.2f}" for x in m.get("load_average", []))
    created = datetime.strptime(report["created"], "%Y-%m-%dT%H:%M:%SZ").strftime(
        "%Y-%m-%d %H:%M UTC"
    )
    return (
        f"Measured {created} in mode `{report['mode']}` ({report['method']}), "
        f"on {m['cpus']} CPUs ({m.get('cpu_model') or m['machine']}){memory}, "
        f"{m['platform']} (load average before the run: {load}); Python {python}, "
        f"wippy {m['wippy']}, wasmtime-py {m['wasmtime']}, Pykka {m['pykka']}{erlang}."
    )


def markdown(report: dict[str, Any], source: str) -> str:
    """The README block: a line on machine, date and mode, then the table, between markers.

    ``source`` names the report file in the generated-by comment.
    """
    columns = columns_of(report)
    lines = [
        f"{BEGIN} (rendered from {source} by tools/render-bench-table.py; do not edit) -->",
        machine_line(report),
        "",
        "| scenario | unit | " + " | ".join(columns) + " | goal (issue) | verdict |",
        "|---|---|" + "---|" * len(columns) + "---|---|",
    ]
    for scenario in report["scenarios"].values():
        cells = [scenario["name"], scenario["unit"],
                 *(figure(scenario, c, ratio=True) for c in columns),
                 scenario["goal"] or "-", scenario["verdict"]]
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    lines.append(END)
    return "\n".join(lines) + "\n"


def replace_block(text: str, block: str) -> str:
    """``text`` with the part from the begin marker to the end marker replaced by ``block``.

    Raises ValueError when the markers are missing or out of order.
    """
    start = text.find(BEGIN)
    end = text.find(END)
    if start < 0 or end < start:
        raise ValueError(f"no '{BEGIN} ...' ... '{END}' block to replace")
    end = text.index("\n", end) + 1 if "\n" in text[end:] else len(text)
    return text[:start] + block + text[end:]
