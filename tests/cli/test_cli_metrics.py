"""`wippy start --metrics` and `--log-format json`: /metrics scraped during a crash storm and
parsed with the Prometheus client's own parser; the counts match the events logged."""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.cli.observe_apps import Started, json_lines, tree_app

CRASHES = 30

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(url: str) -> Samples:
    """Every sample of ``url``, parsed by prometheus_client, by (name, labels)."""
    with urllib.request.urlopen(url, timeout=10) as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain")
        text = response.read().decode()
    samples: Samples = {}
    for family in text_string_to_metric_families(text):
        assert family.name.startswith("wippy_"), family.name
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return samples


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def total(samples: Samples, name: str, **labels: str) -> float:
    """The sum over every sample of ``name`` whose labels include ``labels``."""
    wanted = set(labels.items())
    return sum(v for (n, got), v in samples.items() if n == name and wanted <= got)


@pytest.fixture
def storm(cache: Path, tmp_path: Path) -> Iterator[Started]:
    app = tree_app(tmp_path / "app", crashes=CRASHES, delay=0.05)
    running = Started(cache, app, "--metrics", "127.0.0.1:0", "--log-format", "json",
                      ready="Ctrl-C or SIGTERM stops the app")
    try:
        yield running
    finally:
        running.close()


def test_metrics_during_a_crash_storm_match_the_events(storm: Started) -> None:
    notes = [e for e in json_lines(storm.head) if e["event"] == "note"]
    url = next(e["metrics"] for e in notes if "metrics" in e)
    assert url.startswith("http://127.0.0.1:") and url.endswith("/metrics")
    previous: Samples = {}
    scrapes = 0
    while not any("flaky: settled" in line for line in storm.head):
        samples = scrape(url)  # while children crash and restart
        scrapes += 1
        for key, before in previous.items():
            if key[0].endswith("_total"):
                assert samples.get(key, 0.0) >= before, key  # counters never go back
        previous = samples
        storm.read_until('"event"')
    assert scrapes >= 3  # the storm lasts about 1.5 s
    storm.read_all_of("calm: running", "flaky: running")

    def restarts() -> list[dict[str, Any]]:
        reports = [e for e in json_lines(storm.head) if e["event"] == "supervision"]
        return [e for e in reports if e["action"] == "restarted" and e["child"] == "flaky"]

    while len(restarts()) < CRASHES:  # the last report may be printed after the child's line
        storm.read_until('"restarted"')
    final = scrape(url)
    events = json_lines(storm.head)
    reports = [e for e in events if e["event"] == "supervision"]
    restarted = restarts()
    crashed = [e for e in reports if e["action"] == "child_exit"
               and (e["error"] or {}).get("kind") == "exception"]
    assert len(restarted) == len(crashed) == CRASHES
    assert value(final, "wippy_supervisor_restarts_total", supervisor="t:workers") == CRASHES
    assert total(final, "wippy_supervision_reports_total", supervisor="t:workers",
                 action="child_exit") == CRASHES
    assert total(final, "wippy_exits_total", kind="exception") == CRASHES
    assert total(final, "wippy_exits_total", host="t:pool") == CRASHES
    # the supervisor, its three children and the restarts
    assert total(final, "wippy_spawns_total", host="t:pool") == 1 + 3 + CRASHES
    assert value(final, "wippy_spawns_total", host="t:pool", type="supervisor") == 1
    assert value(final, "wippy_spawns_total", host="t:pool", type="wasm") == 1
    assert value(final, "wippy_processes", host="t:pool", type="wasm", state="suspended") == 1
    assert total(final, "wippy_processes", host="t:pool") == 4
    assert value(final, "wippy_supervisor_give_ups_total", supervisor="t:workers") == 0
    assert value(final, "wippy_workers", host="t:pool") == 4
    assert value(final, "wippy_run_queue_depth", host="t:pool") == 0
    assert value(final, "wippy_worker_busy_seconds_total", host="t:pool") > 0
    assert value(final, "wippy_messages_sent_total") >= 0


def test_json_log_has_one_object_per_event(storm: Started) -> None:
    storm.read_all_of("flaky: settled", "calm: running", "flaky: running")
    storm.proc.send_signal(15)
    status, rest, err = storm.finish()
    assert status == 0, err
    lines = storm.head + rest.splitlines()
    objects = json_lines(lines)
    started = [item for item in objects if item["event"] == "app_started"]
    assert len(started) == 1  # (Python processes may print before it)
    assert started[0]["items"][0] == {"kind": "host", "id": "t:pool", "pid": None,
                                      "state": "running"}
    assert started[0]["items"][1] == {"kind": "supervisor", "id": "t:workers",
                                      "pid": started[0]["items"][1]["pid"], "state": "running"}
    assert all(item["time"].endswith("Z") and isinstance(item["ts"], float) for item in objects)
    output = [item for item in objects if item["event"] == "output"]
    assert any(item["text"] == "calm: running\n" and item["stream"] == "stdout"
               for item in output)
    stop = next(item for item in objects if item.get("reason") == "SIGTERM")
    assert stop["message"] == "SIGTERM: stopping the app"
    exit_ = next(item for item in objects if item["event"] == "exit")
    assert (exit_["name"], exit_["outcome"], exit_["error"]) == ("t:workers", "ok", None)
    shutdown = [item for item in objects if item["event"] == "supervision"
                and item["action"] == "shutdown"]
    assert shutdown and shutdown[0]["supervisor"] == "t:workers"
    assert objects[-1] == {**objects[-1], "event": "note", "message": "stopped"}
