"""What Ray's driver prints about a dead raylet goes to wippy's log, not the console."""

from __future__ import annotations

import logging

import pytest

from wippy.cluster import ClusterError
from wippy.cluster.ray_setup import _log_raylet_reports, import_ray

try:
    import_ray()
except ClusterError as exc:
    pytest.skip(f"Ray is not installed: {exc}", allow_module_level=True)

from ray._private import worker  # after the loopback-only environment is set

DEAD = ("Raylet is terminated. Termination is unexpected. Last 20 lines of the Raylet logs:\n"
        "    [state-dump] NodeManager: 1 total")


def test_raylet_reports_are_logged_and_other_output_is_printed(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(worker, "print_to_stdstream", worker.print_to_stdstream)  # undone after
    _log_raylet_reports()
    _log_raylet_reports()  # a second connect does not wrap it twice
    assert worker.print_to_stdstream.wippy_wrapped  # type: ignore[attr-defined]
    with caplog.at_level(logging.DEBUG, logger="wippy.cluster.ray"):
        worker.print_to_stdstream({"lines": [DEAD], "pid": "raylet", "is_err": False},
                                  ignore_prefix=False)
    out = capsys.readouterr()
    assert "state-dump" not in out.out + out.err
    records = [(r.levelno, r.getMessage()) for r in caplog.records if r.name == "wippy.cluster.ray"]
    assert records[0] == (logging.INFO, "Ray: Raylet is terminated. Termination is unexpected. "
                                        "Last 20 lines of the Raylet logs:")
    assert records[1][0] == logging.DEBUG and "[state-dump] NodeManager" in records[1][1]
    worker.print_to_stdstream({"lines": ["hello from a worker"], "pid": 4242, "is_err": False,
                               "ip": "127.0.0.1", "task_name": "t", "actor_name": ""},
                              ignore_prefix=True)
    assert "hello from a worker" in capsys.readouterr().out
