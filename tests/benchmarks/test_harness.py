"""The harness measures columns interleaved, and a failing column fails its scenario."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from benchmarks import messaging
from benchmarks.harness import (
    FULL,
    PYKKA,
    QUICK,
    SMOKE,
    WASMTIME,
    WIPPY,
    BenchmarkError,
    Goal,
    RoundFailed,
    Scenario,
    interleave,
    measure,
    measure_each,
    report_name,
)
from benchmarks.stats import speedup_bound


def _recording(log: list[str], column: str, values: list[float]) -> Callable[[], float]:
    remaining = iter(values)

    def one_round() -> float:
        log.append(column)
        return next(remaining)

    return one_round


def test_columns_take_turns_round_by_round_after_a_warm_up_of_each() -> None:
    log: list[str] = []
    samples = interleave(
        {WIPPY: _recording(log, WIPPY, [0.0, 1.0, 2.0, 3.0]),
         WASMTIME: _recording(log, WASMTIME, [9.0, 10.0, 20.0, 30.0])},
        rounds=3,
    )
    assert log == [WIPPY, WASMTIME] * 4  # warm-up round, then three measured rounds
    assert samples == {WIPPY: [1.0, 2.0, 3.0], WASMTIME: [10.0, 20.0, 30.0]}


def test_no_warm_up_when_asked() -> None:
    log: list[str] = []
    samples = interleave({WIPPY: _recording(log, WIPPY, [5.0])}, rounds=1, warmup=0)
    assert (log, samples) == ([WIPPY], {WIPPY: [5.0]})


def test_a_raising_round_names_its_column() -> None:
    def broken() -> float:
        raise BenchmarkError("the counter got 10 of 20 messages")

    with pytest.raises(RoundFailed, match="raw Pykka: BenchmarkError: the counter got 10"):
        interleave({WIPPY: lambda: 1.0, PYKKA: broken}, rounds=2)


def test_a_failing_baseline_fails_the_scenario_instead_of_reporting_a_number() -> None:
    calls = {"n": 0}

    def fails_in_the_second_measured_round() -> float:
        calls["n"] += 1
        if calls["n"] == 3:
            raise BenchmarkError("timed out")
        return 1.0

    scenario = Scenario("msgs_1", "messages", "msgs/s", "higher")
    measure(scenario, {WIPPY: lambda: 2.0, PYKKA: fails_in_the_second_measured_round}, rounds=3)
    assert scenario.failed == "raw Pykka: BenchmarkError: timed out"
    assert scenario.samples == {}  # no partial row
    row = scenario.to_json()
    assert row["verdict"] == "failed: raw Pykka: BenchmarkError: timed out"
    assert row["median"] == {}


def test_one_round_can_feed_several_scenarios() -> None:
    cold, warm = Scenario("cold", "c", "ms", "lower"), Scenario("warm", "w", "ms", "lower")
    rounds = iter([{"cold": 10.0, "warm": 1.0}, {"cold": 12.0, "warm": 2.0}])
    measure_each([cold, warm], {WIPPY: lambda: next(rounds)}, rounds=1)
    assert (cold.samples, warm.samples) == ({WIPPY: [12.0]}, {WIPPY: [2.0]})


def test_only_a_complete_full_run_writes_the_committed_report() -> None:
    assert report_name(FULL, None) == "full"
    assert report_name(FULL, {"call_overhead"}) == "latest"
    assert report_name(QUICK, None) == "latest"
    assert report_name(SMOKE, None) == "latest"


def test_every_mode_measures_several_rounds_except_smoke() -> None:
    assert FULL.rounds >= 3 and FULL.live_rounds >= 3
    assert QUICK.rounds >= 2 and QUICK.live_rounds >= 2


def test_the_pykka_messaging_baseline_raises_when_its_counter_never_finishes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(messaging, "TIMEOUT", 0.0)  # done.wait() gives up at once
    with pytest.raises(BenchmarkError, match="did not get 20,000 messages"):
        messaging._pykka_round(1, 20_000)


def _parallel_cpu(samples: dict[str, list[float]]) -> Scenario:
    scenario = Scenario("parallel_cpu", "parallel CPU", "speedup", "higher",
                        Goal("at least 1.8x", lambda m: m[WIPPY] >= 1.8),
                        bound=speedup_bound(2, 2))
    scenario.samples = samples
    return scenario


def test_an_impossible_speedup_is_flagged_instead_of_met() -> None:
    scenario = _parallel_cpu({WIPPY: [2.1, 2.16, 2.2], WASMTIME: [1.9, 1.94, 1.95]})
    assert scenario.goal_met() is True  # the goal alone would say "met" ...
    row = scenario.to_json()
    assert row["implausible"] == {WIPPY: "above core count"}
    assert row["verdict"] == "implausible: above core count (wippy)"  # ... the verdict does not


def test_a_plausible_speedup_is_judged_by_its_goal() -> None:
    scenario = _parallel_cpu({WIPPY: [1.97, 1.98, 1.99], WASMTIME: [1.9, 1.94, 1.95]})
    assert scenario.to_json()["verdict"] == "met"


def test_scenario_json_keeps_samples_medians_spreads_and_ratios() -> None:
    scenario = Scenario("blocking", "blocking", "s", "lower", Goal("<= 1.5 s", lambda m: m[WIPPY]
                                                                  <= 1.5))
    scenario.samples = {WIPPY: [1.75], PYKKA: [1.0, 1.2, 1.4]}
    row = scenario.to_json()
    assert row["median"] == {WIPPY: 1.75, PYKKA: 1.2}
    assert row["spread"][WIPPY]["rel_half_range"] is None  # one round: "±?", not "±0%"
    assert row["spread"][PYKKA]["rel_half_range"] == pytest.approx(0.2 / 1.2)
    assert row["ratio_to_baseline"] == {PYKKA: pytest.approx(1.75 / 1.2)}
    assert (row["goal_met"], row["verdict"]) == (False, "MISSED")
