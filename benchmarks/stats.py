"""The statistics every figure of the report goes through: medians, spreads, ratios, verdicts.

Pure functions of the samples, so that the printed table, the JSON report and the README table
(rendered from the JSON) say the same thing, and so that the rules are tested on their own
(``tests/benchmarks/test_stats.py``):

- a column's figure is the **median** of its rounds; its **spread** is half the min-max range
  relative to the median, and it is **unknown** ("±?") with fewer than two samples, never "±0%";
- a **ratio** is wippy's median over a baseline's;
- a figure outside what is physically possible (a :class:`Bound`, e.g. a speed-up above the
  number of cores that ran it) is **implausible**: that row's verdict says so instead of judging
  its goal, since noise produced it;
- the **verdict** of a row is, in order: failed, skipped, implausible, no goal, met or missed.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

MIN_SAMPLES_FOR_SPREAD = 2
"""Fewer samples than this and a column's spread is unknown."""


def median(samples: Sequence[float]) -> float:
    """The median of ``samples``. Raises ValueError when there are none."""
    if not samples:
        raise ValueError("no samples")
    return float(statistics.median(samples))


def spread(samples: Sequence[float]) -> dict[str, float | None]:
    """min, quartiles, max and the half-range relative to the median (None when unknown).

    The relative half-range is unknown with fewer than :data:`MIN_SAMPLES_FOR_SPREAD` samples
    (one round says nothing about the next) and when the median is 0 (no scale to relate to).
    Raises ValueError when there are no samples.
    """
    ordered = sorted(samples)
    middle = median(ordered)
    if len(ordered) >= MIN_SAMPLES_FOR_SPREAD:
        p25, _, p75 = statistics.quantiles(ordered, n=4)
    else:
        p25 = p75 = middle
    half: float | None = None
    if len(ordered) >= MIN_SAMPLES_FOR_SPREAD and middle != 0:
        half = (ordered[-1] - ordered[0]) / 2 / abs(middle)
    return {
        "min": ordered[0],
        "p25": p25,
        "p75": p75,
        "max": ordered[-1],
        "rel_half_range": half,
    }


def spread_text(rel_half_range: float | None) -> str:
    """``±N%`` for a known relative half-range, ``±?`` for an unknown one."""
    if rel_half_range is None or not math.isfinite(rel_half_range):
        return "±?"
    return f"±{rel_half_range * 100:.0f}%"


def ratio(ours: float | None, base: float | None) -> float | None:
    """``ours / base``, or None when either is missing or the base is 0."""
    if ours is None or base is None or base == 0:
        return None
    return ours / base


@dataclass(frozen=True)
class Bound:
    """What a scenario's figures can physically be: outside ``[low, high]`` is implausible.

    ``why_high``/``why_low`` are the words the report uses, e.g. "above core count".
    """

    high: float | None = None
    why_high: str = "above the possible maximum"
    low: float | None = None
    why_low: str = "below the possible minimum"

    def check(self, value: float) -> str | None:
        """Why ``value`` cannot be a real measurement (None when it can)."""
        if self.high is not None and value > self.high:
            return self.why_high
        if self.low is not None and value < self.low:
            return self.why_low
        return None

    def to_json(self) -> dict[str, Any]:
        """The bound as the report stores it."""
        return {"high": self.high, "why_high": self.why_high,
                "low": self.low, "why_low": self.why_low}


def speedup_bound(ways: int, cores: int | None) -> Bound:
    """The most ``ways`` CPU-bound guests can gain over one on ``cores`` cores: min of both."""
    if cores is None or cores > ways:
        return Bound(high=float(ways), why_high="above guest count", low=0.0)
    return Bound(high=float(cores), why_high="above core count", low=0.0)


def implausible(medians: Mapping[str, float], bound: Bound | None) -> dict[str, str]:
    """Column -> why, for every median outside ``bound``."""
    if bound is None:
        return {}
    found = {}
    for column, value in medians.items():
        why = bound.check(value)
        if why is not None:
            found[column] = why
    return found


def goal_met(
    check: Callable[[dict[str, float]], bool | None] | None, medians: dict[str, float], ours: str
) -> bool | None:
    """Whether ``check`` holds on ``medians`` (None: no goal, no ``ours`` figure, or a baseline
    the check compares with is missing)."""
    if check is None or ours not in medians:
        return None
    try:
        return check(medians)
    except KeyError:
        return None


def verdict(
    *,
    failed: str | None,
    skipped: str | None,
    implausible: Mapping[str, str],
    met: bool | None,
) -> str:
    """The row's last cell: ``failed: …``, ``skipped``, ``implausible: …``, ``-``, ``met``, or
    ``MISSED``.

    An implausible figure anywhere in the row outranks the goal: the round that produced it was
    disturbed, so the row is not evidence either way.
    """
    if failed:
        return f"failed: {failed}"
    if skipped:
        return "skipped"
    if implausible:
        reasons = sorted(set(implausible.values()))
        return f"implausible: {', '.join(reasons)} ({', '.join(sorted(implausible))})"
    if met is None:
        return "-"
    return "met" if met else "MISSED"


def fmt(value: float | None) -> str:
    """A figure with about three significant digits (thousands separated), '-' for None."""
    if value is None:
        return "-"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    if abs(value) >= 100:
        return f"{value:.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"
