"""The report's statistics: medians, spreads and "±?", ratios, bounds, goals and verdicts."""

from __future__ import annotations

import pytest

from benchmarks.stats import (
    Bound,
    fmt,
    goal_met,
    implausible,
    median,
    ratio,
    speedup_bound,
    spread,
    spread_text,
    verdict,
)

WIPPY, WASMTIME, ERLANG = "wippy", "raw wasmtime", "Erlang/OTP"  # column names, as in reports


def test_median_of_odd_and_even_counts() -> None:
    assert median([5.0, 1.0, 3.0]) == 3.0
    assert median([4.0, 1.0, 3.0, 2.0]) == 2.5
    with pytest.raises(ValueError):
        median([])


def test_spread_is_half_the_range_relative_to_the_median() -> None:
    found = spread([90.0, 100.0, 110.0, 120.0, 80.0])
    assert (found["min"], found["max"]) == (80.0, 120.0)
    assert found["rel_half_range"] == pytest.approx(0.2)  # (120 - 80) / 2 / 100
    assert found["p25"] == pytest.approx(85.0) and found["p75"] == pytest.approx(115.0)


def test_one_sample_has_an_unknown_spread_not_zero() -> None:
    found = spread([42.0])
    assert found["rel_half_range"] is None
    assert (found["min"], found["p25"], found["p75"], found["max"]) == (42.0, 42.0, 42.0, 42.0)
    assert spread_text(found["rel_half_range"]) == "±?"


def test_two_equal_samples_have_a_known_zero_spread() -> None:
    assert spread_text(spread([7.0, 7.0])["rel_half_range"]) == "±0%"


def test_a_zero_median_leaves_the_relative_spread_unknown() -> None:
    assert spread([-1.0, 0.0, 1.0])["rel_half_range"] is None


def test_spread_text_rounds_to_whole_percent() -> None:
    assert spread_text(0.034) == "±3%"
    assert spread_text(0.5) == "±50%"
    assert spread_text(float("nan")) == "±?"


def test_ratio_is_ours_over_the_baseline_or_none() -> None:
    assert ratio(4.0, 25.0) == pytest.approx(0.16)
    assert ratio(None, 2.0) is None
    assert ratio(2.0, None) is None
    assert ratio(2.0, 0.0) is None


def test_a_speedup_above_the_core_count_is_implausible() -> None:
    bound = speedup_bound(ways=2, cores=2)
    assert bound.high == 2.0 and bound.check(2.16) == "above core count"
    assert bound.check(1.98) is None and bound.check(2.0) is None
    assert bound.check(-0.1) is not None


def test_with_more_cores_than_guests_the_guest_count_bounds_the_speedup() -> None:
    bound = speedup_bound(ways=2, cores=8)
    assert bound.high == 2.0 and bound.check(2.5) == "above guest count"
    assert speedup_bound(ways=2, cores=1).check(1.5) == "above core count"
    assert speedup_bound(ways=2, cores=None).high == 2.0


def test_implausible_names_each_column_outside_the_bound() -> None:
    bound = Bound(high=2.0, why_high="above core count", low=0.0, why_low="below zero")
    medians = {WIPPY: 1.9, WASMTIME: 2.16, ERLANG: -0.5}
    assert implausible(medians, bound) == {WASMTIME: "above core count", ERLANG: "below zero"}
    assert implausible(medians, None) == {}


def test_goal_met_needs_a_goal_our_figure_and_the_compared_baseline() -> None:
    def within_3x(m: dict[str, float]) -> bool:
        return m[WIPPY] <= 3 * m[WASMTIME]

    assert goal_met(within_3x, {WIPPY: 100.0, WASMTIME: 40.0}, WIPPY) is True
    assert goal_met(within_3x, {WIPPY: 130.0, WASMTIME: 40.0}, WIPPY) is False
    assert goal_met(within_3x, {WIPPY: 100.0}, WIPPY) is None  # the baseline is missing
    assert goal_met(within_3x, {WASMTIME: 40.0}, WIPPY) is None  # no figure of ours
    assert goal_met(None, {WIPPY: 1.0}, WIPPY) is None


@pytest.mark.parametrize(
    ("failed", "skipped", "flags", "met", "expected"),
    [
        ("raw Pykka: BenchmarkError: timed out", None, {}, True,
         "failed: raw Pykka: BenchmarkError: timed out"),
        (None, "not run", {WIPPY: "x"}, True, "skipped"),
        (None, None, {WASMTIME: "above core count"}, True,
         "implausible: above core count (raw wasmtime)"),
        (None, None, {WIPPY: "above core count", WASMTIME: "above core count"}, False,
         "implausible: above core count (raw wasmtime, wippy)"),
        (None, None, {}, None, "-"),
        (None, None, {}, True, "met"),
        (None, None, {}, False, "MISSED"),
    ],
)
def test_verdict_precedence(
    failed: str | None, skipped: str | None, flags: dict[str, str], met: bool | None,
    expected: str,
) -> None:
    assert verdict(failed=failed, skipped=skipped, implausible=flags, met=met) == expected


def test_fmt_keeps_about_three_significant_digits() -> None:
    assert [fmt(v) for v in (0.1234, 4.1, 25.0, 258.4, 203_456.0, None)] == [
        "0.12", "4.10", "25.0", "258", "203,456", "-",
    ]
