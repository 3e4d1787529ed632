"""Ctrl-C (SIGINT) and SIGTERM during `wippy run`: cancel, then terminate; exit 128 + signal."""

from __future__ import annotations

import signal
import time
from pathlib import Path

from tests.cli.conftest import py_entry
from tests.cli.console import finish, popen, read_until
from tests.cli.test_cli_commands import wasi_c
from tests.conftest import AppWriter


def test_ctrl_c_cancels_a_python_command_which_can_finish(cache: Path, cli_app: AppWriter
                                                          ) -> None:
    app = cli_app(py_entry("wait", "wait_for_cancel"))
    proc = popen(cache, "-C", str(app), "run", "wait")
    read_until(proc.stdout, "waiting")
    proc.send_signal(signal.SIGINT)
    status, out, err = finish(proc)
    assert status == 130
    assert out == "cancelled: SIGINT from the terminal\n"  # it saw CANCEL and returned
    assert "wippy: SIGINT: cancelling <test:term." in err


def test_ctrl_c_stops_a_busy_guest_after_the_grace(cache: Path, cli_app: AppWriter) -> None:
    proc = popen(cache, "-v", "-C", str(cli_app(wasi_c())), "run", "c", "spin")
    read_until(proc.stderr, "running test:c as")
    proc.send_signal(signal.SIGINT)
    status, out, err = finish(proc, timeout=30)
    assert (status, out) == (130, "")
    assert "cancelling" in err


def test_second_ctrl_c_stops_a_sleeping_guest_at_once(cache: Path, cli_app: AppWriter) -> None:
    # The guest sleeps 60 s inside a host call; the CLI must not wait for the call to return.
    proc = popen(cache, "-v", "-C", str(cli_app(wasi_c())), "run", "c", "sleep", "60000")
    read_until(proc.stderr, "running test:c as")
    started = time.monotonic()
    proc.send_signal(signal.SIGINT)
    time.sleep(0.2)
    proc.send_signal(signal.SIGINT)
    status, out, _ = finish(proc, timeout=50)
    assert (status, out) == (130, "")
    assert time.monotonic() - started < 30  # far less than the 60 s sleep


def test_sigterm_cancels_too(cache: Path, cli_app: AppWriter) -> None:
    app = cli_app(py_entry("wait", "wait_for_cancel"))
    proc = popen(cache, "-C", str(app), "run", "wait")
    read_until(proc.stdout, "waiting")
    proc.send_signal(signal.SIGTERM)
    status, out, err = finish(proc)
    assert (status, out) == (143, "cancelled: SIGTERM from the terminal\n")
    assert "wippy: SIGTERM: cancelling" in err
