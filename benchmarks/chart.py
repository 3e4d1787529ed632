"""The PNG chart: one panel per scenario, a bar per column (median, with min-max whiskers)."""

from __future__ import annotations

import math
from pathlib import Path

from .harness import COLUMNS, Scenario
from .stats import spread

COLORS = {
    "wippy": "#2b6cb0",
    "raw wasmtime": "#dd6b20",
    "raw wasmtime low-level": "#f6ad55",
    "raw Pykka": "#38a169",
    "Erlang/OTP": "#a0208e",
    "wasmer": "#718096",
    "wippy Python function": "#63b3ed",
}


def write_chart(scenarios: list[Scenario], path: Path, title: str) -> str | None:
    """Draws ``scenarios`` into ``path``; returns why not (matplotlib missing) or None."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return "chart skipped: matplotlib is not installed (pip install -e '.[bench]')"
    shown = [s for s in scenarios if s.samples]
    cols = 4
    rows = max(1, math.ceil(len(shown) / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.2 * rows), squeeze=False)
    for ax, scenario in zip(axes.flat, shown):
        names = [c for c in COLUMNS if c in scenario.samples]
        medians = scenario.medians()
        values = [medians[c] for c in names]
        spreads = [spread(scenario.samples[c]) for c in names]
        lows = [values[i] - float(s["min"] or 0) for i, s in enumerate(spreads)]
        highs = [float(s["max"] or 0) - values[i] for i, s in enumerate(spreads)]
        ax.bar(range(len(names)), values, yerr=[lows, highs], capsize=3,
               color=[COLORS[c] for c in names])
        ax.set_xticks(range(len(names)))
        ax.set_xticklabels([c.replace("raw ", "").replace(" low-level", "\nlow-level")
                            for c in names], fontsize=7)
        verdict = scenario.verdict()
        mark = "" if verdict == "-" else f" [{verdict.split(' (')[0]}]"
        ax.set_title(f"{scenario.name}{mark}", fontsize=8)
        ax.set_ylabel(f"{scenario.unit} ({scenario.better} is better)", fontsize=7)
        ax.tick_params(axis="y", labelsize=7)
        if max(values) / max(min(values), 1e-9) > 50:
            ax.set_yscale("log")
    for ax in list(axes.flat)[len(shown):]:
        ax.axis("off")
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return None
