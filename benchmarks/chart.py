"""The PNG chart: one panel per scenario, a bar per column (median, with min-max whiskers)."""

from __future__ import annotations

import math
from pathlib import Path

from .harness import COLUMNS, Scenario, spread

COLORS = {
    "wippy": "#2b6cb0",
    "raw wasmtime": "#dd6b20",
    "raw Pykka": "#38a169",
    "Erlang/OTP": "#a0208e",
    "wasmer": "#718096",
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
        lows = [values[i] - spread(scenario.samples[c])["min"] for i, c in enumerate(names)]
        highs = [spread(scenario.samples[c])["max"] - values[i] for i, c in enumerate(names)]
        ax.bar(range(len(names)), values, yerr=[lows, highs], capsize=3,
               color=[COLORS[c] for c in names])
        ax.set_xticks(range(len(names)))
        ax.set_xticklabels([c.replace("raw ", "") for c in names], fontsize=8)
        met = scenario.goal_met()
        mark = "" if met is None else (" [goal met]" if met else " [goal missed]")
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
